package org.stowage.s3;

import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The contract suite against S3Storage on the shared test endpoint (s3proxy in this JVM, MinIO
 * with Docker, or STOWAGE_S3_ENDPOINT). Each test gets a fresh, empty store: a bucket of its own
 * with an empty root prefix, so that locations of the full 1024 bytes fit S3's key limit (a root
 * prefix would take some of it); a second {@code newStorage()} in the same test (the kit's
 * two-instance check) opens the same bucket. On an external endpoint, where tests must not create
 * buckets, a fresh prefix of the shared bucket stands in, and the longest location the backend
 * accepts is S3's 1,024 bytes less the prefix's ({@link #maxLocationBytes}). The part size is the
 * smallest S3 allows, so that objects over 5 MiB take the upload-in-parts path.
 *
 * <p>On an external endpoint the suite runs with the {@linkplain ExpectedRefusals expected
 * refusals} that the server probe finds there, plus the tests named in the environment variable
 * {@code STOWAGE_S3_EXPECTED_REFUSALS} (comma-separated, such as {@code
 * StoringChecks.atomicReplace,ListingChecks.order}), and skipping without running those named in
 * {@code STOWAGE_S3_NOT_RUN} (tests that would crash or stall the server); the report (logged, and in {@code
 * target/contract-report-*.txt}) says which rules the server kept and which it could not.
 */
@ExtendWith({S3TestEnvironment.class, ExpectedRefusals.class})
class S3StorageContractTest extends ExternalStorageContract implements ExpectedRefusals.Listed {
  private static final long PART = S3Storage.MIN_PART_SIZE;
  private static ExpectedRefusals externalRefusals;

  private S3Endpoint endpoint;
  private String prefix;

  @Override
  protected ExternalStorage newStorage() {
    chooseEndpoint();
    S3Storage.Builder b = endpoint.storage(prefix).partSize(PART).uploadConcurrency(2);
    if (!endpoint.kind().equals("s3proxy")) {
      b.serverFeatures(probedOnce(sharedEndpoint())); // one probe per server, not per test
    }
    return b.build();
  }

  private static final java.util.Map<String, S3ServerFeatures> PROBED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * What a storage on {@code server} learns by its probe, probed once per JVM through such a
   * storage's own client (its checksum mode included), racing conditional creates {@linkplain
   * S3ServerProbe.Race#THOROUGH thoroughly}: a storage's quick race can miss non-atomic creates
   * on a loaded machine (it missed S3Mock's once), and the suite would then fail where it should
   * report a refusal. The report is printed to the test's output.
   */
  static S3ServerFeatures probedOnce(S3Endpoint server) {
    return PROBED.computeIfAbsent(server.kind() + " " + server.uri() + " " + server.bucket(), k -> {
      try (S3Storage s = server.probingStorage(S3Endpoint.freshPrefix()).build()) {
        S3ServerFeatures f = S3ServerProbe.probe(s.client(), s.bucket(),
            s.rootPrefix() + S3Storage.TEMP_FOLDER + "probe-" + UUID.randomUUID() + "/",
            server.uri() + " bucket \"" + server.bucket() + "\"", S3ServerProbe.Race.THOROUGH);
        System.out.println(f.report());
        return f;
      }
    });
  }

  /** The shared external endpoint under a fresh prefix, or a fresh bucket on the local one. */
  private void chooseEndpoint() {
    if (endpoint == null) {
      S3Endpoint shared = sharedEndpoint();
      if (shared.kind().equals("external")) {
        endpoint = shared;
        prefix = S3Endpoint.freshPrefix();
      } else {
        endpoint = shared.withBucket("contract-" + UUID.randomUUID());
        prefix = "";
      }
    }
  }

  /**
   * The longest location, in UTF-8 bytes, that the store under test accepts: S3's key limit less
   * the root prefix's bytes (none in a bucket of its own).
   */
  static int maxLocationBytes(String rootPrefix) {
    return S3Storage.MAX_KEY_BYTES - rootPrefix.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  @Override
  public ExpectedRefusals expectedRefusals() {
    S3Endpoint shared = sharedEndpoint();
    if (shared.kind().equals("s3proxy")) {
      return ExpectedRefusals.s3proxy();
    }
    if (!shared.kind().equals("external")) {
      return ExpectedRefusals.none(shared.kind());
    }
    synchronized (S3StorageContractTest.class) {
      if (externalRefusals == null) {
        ExpectedRefusals r = ExpectedRefusals.of(probedOnce(shared));
        String listed = System.getenv("STOWAGE_S3_EXPECTED_REFUSALS");
        if (listed != null) {
          for (String test : listed.split(",")) {
            if (!test.isBlank()) {
              r.refuse(test.trim(), "listed in STOWAGE_S3_EXPECTED_REFUSALS");
            }
          }
        }
        String notRun = System.getenv("STOWAGE_S3_NOT_RUN");
        if (notRun != null) {
          for (String test : notRun.split(",")) {
            if (!test.isBlank()) {
              r.skip(test.trim(), "listed in STOWAGE_S3_NOT_RUN");
            }
          }
        }
        externalRefusals = r;
      }
      return externalRefusals;
    }
  }

  /** The server the suite runs against; a subclass names another. */
  S3Endpoint sharedEndpoint() {
    return S3TestEnvironment.shared();
  }

  /** The root prefix the storages of this test use, with its trailing slash if any. */
  String rootPrefixUsed() {
    chooseEndpoint();
    return prefix == null || prefix.isEmpty() ? "" : prefix + "/";
  }

  @Override
  protected Capabilities capabilities() {
    chooseEndpoint();
    return Capabilities.none()
        // Under a test prefix (root "<prefix>/") S3's 1024-byte key limit leaves less (rule L1.3).
        .withMaxLocationBytes(maxLocationBytes(rootPrefixUsed()))
        // Conditional writes and deletes are decided by the server, whichever process sends them.
        .withCrossProcessSafety(true)
        // Above one part, so that the suite exercises uploads in parts and their copy step.
        .withMaxObjectSize(3 * PART)
        .withCorrupter(
            (storage, location) -> {
              S3Storage s3 = (S3Storage) storage;
              try (S3Client raw = endpoint.client()) {
                // Other bytes of the same size under the same key, user metadata kept.
                S3StorageTest.corrupt(raw, s3.bucket(), s3.rootPrefix() + location);
              }
            });
  }
}
