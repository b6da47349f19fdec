package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Rules R1, I3.1: every stream and listing S3Storage hands out gives its HTTP connection back
 * when closed, also when abandoned half-way, and failed operations give theirs back. The storage
 * runs on a client whose pool holds {@value #POOL} connections and waits at most two seconds for
 * one, without retries: one connection kept per operation would exhaust the pool within a few of
 * the hundreds of rounds, and the next operation would fail. {@code -Dstowage.leaks.rounds=N}
 * for more.
 */
@ExtendWith(S3TestEnvironment.class)
class S3LeakTest {
  private static final int POOL = 4;
  private static final int ROUNDS = Integer.getInteger("stowage.leaks.rounds", 500);
  private static final int BIG = 200_000;

  private S3Client client;
  private S3Storage storage;
  private final Random random = new Random(20250611);
  private final List<String> listed = new ArrayList<>();
  private Metadata big;
  private byte[] bigData;

  @BeforeEach
  void setUp(S3Endpoint endpoint) {
    client =
        S3Client.builder()
            .endpointOverride(endpoint.uri())
            .region(Region.of(endpoint.region()))
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(endpoint.accessKey(), endpoint.secretKey())))
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClientBuilder(
                Apache5HttpClient.builder()
                    .maxConnections(POOL)
                    .connectionAcquisitionTimeout(Duration.ofSeconds(2)))
            .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
            .build();
    storage =
        S3Storage.builder()
            .serverFeatures(S3Endpoint.TESTED_S3PROXY)
            .bucket(endpoint.bucket())
            .prefix(S3Endpoint.freshPrefix())
            .client(client)
            .partSize(S3Storage.MIN_PART_SIZE)
            .uploadConcurrency(2)
            .listPageSize(2)
            .build();
    bigData = TestData.bytes(1, BIG);
    big = storage.storeBytes("big", bigData);
    for (int i = 0; i < 9; i++) {
      storage.storeBytes("list/" + i, new byte[] {(byte) i});
      listed.add("list/" + i);
    }
  }

  @AfterEach
  void tearDown() {
    storage.close();
    client.close();
  }

  /** The pool still serves {@value #POOL} streams at once, and then more. */
  private void assertPoolWhole() throws Exception {
    List<InputStream> open = new ArrayList<>();
    try {
      for (int i = 0; i < POOL; i++) {
        InputStream in = storage.loadStream("big");
        in.read();
        open.add(in);
      }
    } finally {
      for (InputStream in : open) {
        in.close();
      }
    }
    assertArrayEquals(bigData, storage.loadBytes("big", big));
  }

  @Test
  @DisplayName("R1 R2 500 loads read part-way, not at all, or to the end, then closed, give their connection back")
  void loads() throws Exception {
    for (int i = 0; i < ROUNDS; i++) {
      switch (i % 3) {
        case 0 -> {
          try (InputStream in = storage.loadStream("big")) {
            in.readNBytes(random.nextInt(100_000));
          }
        }
        case 1 -> {
          try (InputStream in = storage.loadStream("big", big)) {
            in.readNBytes(random.nextInt(100_000));
          }
        }
        default -> {
          try (InputStream in = storage.loadStream("big")) {
            // never read
          }
        }
      }
      if (i % 25 == 0) {
        try (InputStream in = storage.loadStream("big", big)) {
          assertEquals(BIG, in.readAllBytes().length);
        }
      }
    }
    assertPoolWhole();
  }

  @Test
  @DisplayName("I3.1 listings abandoned part-way, then closed, give their connections back")
  void listings() throws Exception {
    for (int i = 0; i < ROUNDS / 2; i++) {
      try (Stream<String> names = storage.iterContents("list/")) {
        Iterator<String> it = names.iterator();
        for (int n = random.nextInt(8); n > 0 && it.hasNext(); n--) {
          it.next();
        }
      }
    }
    try (Stream<String> names = storage.iterContents("list/")) {
      assertEquals(listed, names.collect(Collectors.toList()));
    }
    assertPoolWhole();
  }

  @Test
  @DisplayName("R2 R3 R4 D1 S5 failing operations give their connections back")
  void failures() throws Exception {
    Metadata wrong = new Metadata("0123456789abcdef0123456789abcdef", big.size());
    for (int i = 0; i < ROUNDS / 10; i++) {
      assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("missing"));
      assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("missing"));
      assertThrows(MissingExternalResourceException.class, () -> storage.delete("missing"));
      assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("big", wrong));
      assertThrows(
          ExternalResourceException.class,
          () -> storage.storeBytes("list/0", new byte[] {9}, WritePolicy.CREATE));
      assertFalse(storage.exists("missing"));
      assertEquals(big, storage.verify("big"));
    }
    // An upload in parts whose source fails after the first part: aborted, connections back.
    for (int i = 0; i < 3; i++) {
      int n = i;
      assertThrows(
          ExternalResourceException.class,
          () -> storage.storeStream("failing", failing(S3Storage.MIN_PART_SIZE + 1000 * n)));
    }
    assertFalse(storage.exists("failing"));
    assertPoolWhole();
    assertTrue(storage.exists("big"));
  }

  /** Yields {@code good} generated bytes, then fails. */
  private static InputStream failing(long good) {
    InputStream data = TestData.stream(2, good);
    return new InputStream() {
      @Override
      public int read() throws java.io.IOException {
        int b = data.read();
        if (b < 0) {
          throw new java.io.IOException("the source fails");
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws java.io.IOException {
        int n = data.read(b, off, len);
        if (n < 0) {
          throw new java.io.IOException("the source fails");
        }
        return n;
      }
    };
  }
}
