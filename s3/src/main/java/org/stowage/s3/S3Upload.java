package org.stowage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * How an {@link S3Storage} uploads: a stream that ends within a part in one {@code PutObject}, a
 * longer one in parts to a temporary object copied to its key ({@link PartUpload#run}), and a
 * re-readable source (bytes, a file) hashed first and sent straight to its key, each piece
 * checked by the server against the first pass (rule S1): one {@code PutObject} with {@code
 * Content-MD5}, or parts ({@link PartUpload#runDirect}). Also what every upload reports when the
 * source fails or changes while it is stored (rules S2, S3), and the Stowage record an upload
 * writes with the object.
 */
final class S3Upload {
  static final String CONTENT_TYPE = "application/octet-stream";

  private final S3Storage storage;
  private final S3Errors errors;

  S3Upload(S3Storage storage, S3Errors errors) {
    this.storage = storage;
    this.errors = errors;
  }

  /**
   * Stores {@code source} at {@code key}, for {@link S3Storage}'s {@code writeObject}: a
   * re-readable source straight to its key ({@link #writeDirect}); a stream in one {@code
   * PutObject} if it ends within a part, else in parts ({@link PartUpload#run}).
   *
   * @return false if {@code replaceExisting} is false and an object was there (nothing changed)
   */
  boolean write(Location location, String key, ObjectSource source, boolean replaceExisting)
      throws IOException {
    S3ServerFeatures features = storage.serverFeatures();
    requireVerifiable(location, features);
    if (!replaceExisting) {
      requireConditionalCreate(location, features);
    }
    if (source.isRereadable()) {
      return writeDirect(location, key, source, replaceExisting);
    }
    long effectivePartSize = effectivePartSize(source);
    PushbackInputStream in = new PushbackInputStream(source.stream(), 1);
    int initial =
        (int)
            Math.min(
                effectivePartSize,
                source.knownSize().isPresent()
                    ? source.knownSize().getAsLong() + 1
                    : 64 * 1024);
    byte[] first = new byte[Math.max(initial, 1)];
    int n = 0;
    boolean ended = false;
    while (true) {
      if (n == first.length) {
        if (first.length >= effectivePartSize) {
          break;
        }
        first = Arrays.copyOf(first, (int) Math.min(effectivePartSize, 2L * first.length));
      }
      int r = in.read(first, n, first.length - n);
      if (r < 0) {
        ended = true;
        break;
      }
      n += r;
    }
    if (!ended) {
      int next = in.read();
      if (next < 0) {
        ended = true;
      } else {
        in.unread(next);
      }
    }
    String writeId = UUID.randomUUID().toString();
    try {
      if (ended) {
        byte[] data = first;
        int length = n;
        return put(
            location,
            key,
            source.metadata(),
            RequestBody.fromContentProvider(
                () -> new java.io.ByteArrayInputStream(data, 0, length), length, CONTENT_TYPE),
            replaceExisting,
            writeId,
            null,
            null);
      }
      requireUploadPartCopy(location, features, effectivePartSize);
      if (!replaceExisting && !source.targetSeenAbsent() && storage.head(location, key) != null) {
        return false; // the conditional complete would refuse it: spare the upload
      }
      return new PartUpload(storage, location, key, writeId, effectivePartSize)
          .run(in, first, source, replaceExisting);
    } catch (SdkException e) {
      throw errors.failure("store", location, e);
    }
  }

  private long effectivePartSize(ObjectSource source) {
    if (source.knownSize().isEmpty()) {
      return storage.partSize();
    }
    long needed = (source.knownSize().getAsLong() + S3Storage.MAX_PARTS - 1) / S3Storage.MAX_PARTS;
    long mib = 1L << 20;
    return Math.min(S3Storage.MAX_PART_SIZE, Math.max(storage.partSize(), (needed + mib - 1) / mib * mib));
  }

  // ---------------------------------------------------------------------------------------------
  // What the server cannot back: refused at once (S3Storage#serverFeatures)

  /** Refuses every store where nothing could show that the server holds the bytes hashed. */
  private void requireVerifiable(Location location, S3ServerFeatures f) {
    if (f.storesBytesSent() == S3ServerFeatures.Support.NO) {
      throw new ExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + ": the server stores"
              + " other bytes than it is sent (the probe read back other bytes than it had stored;"
              + " rules S1, S2); build the storage with checksumMode(WHEN_REQUIRED), which sends"
              + " plain bodies instead of aws-chunked ones (the SDK's default frames them so over"
              + " https:// too, for its CRC32 trailer; see serverFeatures())",
          location.value(),
          null);
    }
    if (f.contentMd5Checked() == S3ServerFeatures.Support.NO
        && f.md5ETags() == S3ServerFeatures.Support.NO) {
      throw new ExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + ": the server"
              + " neither checks Content-MD5 nor answers with ETags that are MD5s, so no store"
              + " could show that it holds the bytes hashed (rule S2); use a server that checks"
              + " Content-MD5 (see serverFeatures())",
          location.value(),
          null);
    }
  }

  /** Refuses a create-if-absent on a server that ignores {@code If-None-Match}. */
  private void requireConditionalCreate(Location location, S3ServerFeatures f) {
    if (f.conditionalCreate() == S3ServerFeatures.Support.NO) {
      throw new ExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + " with a policy other"
              + " than OVERWRITE: the server ignores If-None-Match: * (conditional create), so it"
              + " would replace an object that is there (rule S5); store with OVERWRITE, or use a"
              + " server that honours If-None-Match (see serverFeatures())",
          location.value(),
          null);
    }
  }

  /** Refuses a stream larger than a part on a server without {@code UploadPartCopy}. */
  private void requireUploadPartCopy(Location location, S3ServerFeatures f, long partSize) {
    if (f.uploadPartCopy() == S3ServerFeatures.Support.NO) {
      throw new ExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + " from a stream"
              + " larger than one part (" + partSize + " bytes): the server has no UploadPartCopy,"
              + " which the upload of a stream needs to copy its parts to the final key (rule S4);"
              + " store the content from a file or bytes (storePath, storeBytes), which go"
              + " straight to the key, or build the storage with a partSize above the stream's"
              + " size (see serverFeatures())",
          location.value(),
          null);
    }
  }

  /**
   * Whether the server refused a body for its {@code Content-MD5}: {@code 400 BadDigest}, or the
   * {@code 400 BadRequest} that a server such as S3Mock answers instead, where the probe saw it do
   * so.
   */
  boolean digestRefused(S3Exception e) {
    if (S3Errors.isBadDigest(e)) {
      return true;
    }
    S3ServerFeatures f = storage.serverFeatures();
    String answer = e.statusCode() + " " + S3Errors.errorCode(e);
    return e.statusCode() == 400 && !answer.endsWith(" BadDigest")
        && answer.equals(f.badDigestAnswer());
  }

  /**
   * Stores a re-readable source (the content of {@code storeBytes} or {@code storePath}) straight
   * to its final key. The core hashes the source first ({@link ObjectSource#precomputeMetadata}),
   * so the MD5 is known before the first byte is sent; then:
   *
   * <ul>
   *   <li>up to one part: one {@code PutObject} whose body is read from the source as it is sent,
   *       with {@code Content-MD5} the precomputed MD5, which the server checks;
   *   <li>larger: a multipart upload on the final key, created with the MD5 in its metadata, whose
   *       parts are read from the source's ranges as they are sent, in parallel, each with the MD5
   *       of that range from the same first pass as its {@code Content-MD5} ({@link
   *       PartUpload#runDirect}).
   * </ul>
   *
   * The server refuses every piece whose bytes are not the ones hashed, so a source changed
   * between the two passes is never committed: the store fails with a {@link
   * ChangedExternalResourceException} and the previous object stays as it was.
   */
  private boolean writeDirect(
      Location location, String key, ObjectSource source, boolean replaceExisting)
      throws IOException {
    long effectivePartSize = effectivePartSize(source);
    boolean inParts = source.knownSize().orElse(0) > effectivePartSize;
    String writeId = UUID.randomUUID().toString();
    try {
      if (!inParts) {
        Metadata metadata = source.precomputeMetadata();
        // A file that grew since it was opened still goes in one PutObject, up to S3's limit for
        // one, which is also its largest part: 5 GiB.
        if (metadata.size() > S3Storage.S3_MAX_PART_SIZE) {
          throw grew(location, source, metadata.size());
        }
        return putDirect(location, key, source, metadata, replaceExisting, writeId);
      }
      if (!replaceExisting && !source.targetSeenAbsent() && storage.head(location, key) != null) {
        return false; // the conditional complete would refuse it: spare the hashing and the upload
      }
      ObjectSource.RangedMetadata ranged = source.precomputeRangedMetadata(effectivePartSize);
      if (ranged.ranges() <= 1) {
        // The file shrank to one part or less since it was opened.
        return putDirect(location, key, source, ranged.metadata(), replaceExisting, writeId);
      }
      if (ranged.ranges() > S3Storage.MAX_PARTS) {
        throw grew(location, source, ranged.metadata().size());
      }
      return new PartUpload(storage, location, key, writeId, effectivePartSize)
          .runDirect(source, ranged, replaceExisting);
    } catch (SdkException e) {
      throw errors.failure("store", location, e);
    }
  }

  /** A file that grew, between its opening and its hashing, past what its upload can hold. */
  private ChangedExternalResourceException grew(Location location, ObjectSource source, long size) {
    return new ChangedExternalResourceException(
        storage + ": cannot store " + Location.quote(location.value()) + ": the source changed while it was"
            + " stored: it had " + source.knownSize().orElse(0) + " bytes when it was opened and "
            + size + " when it was hashed, more than the upload planned for its size can hold;"
            + " nothing was stored (rules S2, S3)",
        location.value());
  }

  private boolean putDirect(
      Location location,
      String key,
      ObjectSource source,
      Metadata metadata,
      boolean replaceExisting,
      String writeId) {
    AtomicReference<IOException> sourceFailure = new AtomicReference<>();
    RequestBody body =
        RequestBody.fromContentProvider(
            new RangeBody(source, 0, metadata.size(), sourceFailure), metadata.size(), CONTENT_TYPE);
    return put(location, key, metadata, body, replaceExisting, writeId, source, sourceFailure);
  }

  /**
   * One {@code PutObject} of the whole object, with {@code Content-MD5} its MD5: the server itself
   * refuses a body whose bytes are not the ones hashed ({@code 400 BadDigest}), whether they were
   * damaged in transit or, for a re-readable source, changed since they were hashed.
   *
   * @param rereadable the re-readable source the body is read from, or null for a body in memory
   *     (whose bytes are the very bytes the core hashed)
   * @param sourceFailure where the body keeps the source's read failures, or null
   */
  private boolean put(
      Location location,
      String key,
      Metadata metadata,
      RequestBody body,
      boolean replaceExisting,
      String writeId,
      ObjectSource rereadable,
      AtomicReference<IOException> sourceFailure) {
    String contentMd5 = S3Storage.base64OfHex(metadata.md5());
    Map<String, String> userMetadata = userMetadata(metadata, writeId);
    for (int attempt = 1; ; attempt++) {
      PutObjectResponse response;
      try {
        response =
            storage.client().putObject(
                r -> {
                  r.bucket(storage.bucket())
                      .key(key)
                      .contentLength(metadata.size())
                      .contentMD5(contentMd5)
                      .contentType(CONTENT_TYPE)
                      .metadata(userMetadata);
                  if (!replaceExisting) {
                    r.ifNoneMatch("*");
                  }
                },
                body);
      } catch (S3Exception e) {
        if (!replaceExisting && S3Errors.isPreconditionFailed(e)) {
          return wroteItOurselves(location, key, writeId);
        }
        if (!replaceExisting && S3Errors.isConditionalConflict(e) && attempt < S3Storage.CONDITIONAL_RETRIES) {
          continue; // a concurrent conditional write was in flight: ask again
        }
        if (sourceFailure != null && sourceFailure.get() != null) {
          throw sourceFailed(location, sourceFailure.get(), e);
        }
        if (rereadable != null && digestRefused(e)) {
          throw sourceMismatch(
              location, rereadable, 0, metadata.size(), metadata.md5(),
              "the server refused the object's bytes, which do not match the MD5 computed when"
                  + " the source was hashed (" + e.statusCode() + " " + S3Errors.errorCode(e) + ")",
              e);
        }
        throw e;
      } catch (SdkException e) {
        if (sourceFailure != null && sourceFailure.get() != null) {
          throw sourceFailed(location, sourceFailure.get(), e);
        }
        throw e;
      }
      checkStored(location, key, metadata, response, rereadable, replaceExisting);
      return true;
    }
  }

  /**
   * After a {@code PutObject} the server accepted: if its ETag is an MD5 of the bytes it stored,
   * that MD5 must be the one hashed. It differs only on a server that does not check {@code
   * Content-MD5} (or checks it against other bytes than it stores): the object there contradicts
   * its record. It is removed at once ({@code DeleteObject} conditional on its ETag, so that a
   * later write is never removed), and the store fails: nothing is left at the location that was
   * not there before (under {@code OVERWRITE}, the object it replaced is gone too, and the message
   * says so).
   *
   * @param rereadable the source the body was read from, read again to tell a source that changed
   *     from bytes damaged on the way; null for a body in memory (the very bytes hashed)
   */
  private void checkStored(
      Location location,
      String key,
      Metadata metadata,
      PutObjectResponse response,
      ObjectSource rereadable,
      boolean replaceExisting) {
    String received = S3Storage.md5OfETag(
        response.eTag(), response.serverSideEncryptionAsString(), response.sseCustomerAlgorithm());
    if (received == null || received.equals(metadata.md5())) {
      return;
    }
    String removal = removeDamaged(key, response.eTag());
    String what = "the server's MD5 of the bytes it stored for PutObject (its ETag) is " + received
        + ", not the MD5 " + metadata.md5() + " of the bytes hashed: the server did not check"
        + " Content-MD5; " + removal
        + (replaceExisting ? "; the object it replaced, if any, is gone" : "");
    String now = rereadable == null ? metadata.md5() : md5Now(rereadable, 0, metadata.size());
    if (!metadata.md5().equals(now)) {
      throw new ChangedExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + ": the source changed"
              + " while it was stored: " + what + " (rules S2, S3)",
          location.value());
    }
    throw new ExternalResourceException(
        storage + ": store of " + Location.quote(location.value()) + " failed: " + what + "; the"
            + " source still holds the bytes hashed: the server stored other bytes than it was"
            + " sent, or they were damaged on the way (rule S2)",
        location.value(),
        null);
  }

  /** Removes the damaged object a PutObject left at {@code key}; says what happened. */
  private String removeDamaged(String key, String eTag) {
    try {
      storage.client().deleteObject(r -> r.bucket(storage.bucket()).key(key).ifMatch(eTag));
      return "the object it stored was removed";
    } catch (SdkException e) {
      return "removing the object it stored failed (" + e.getMessage() + "): it is still there,"
          + " and reads report it as changed (rule R3)";
    }
  }

  /** The MD5 of bytes {@code [offset, offset + length)} of the source now; null if unreadable. */
  private static String md5Now(ObjectSource source, long offset, long length) {
    try (InputStream in = source.openRange(offset, length)) {
      return Metadata.of(in).md5();
    } catch (IOException e) {
      return null; // shorter now, or unreadable
    }
  }

  /**
   * The server received, for bytes {@code [offset, offset + length)} of a re-readable source,
   * other bytes than the first pass hashed ({@code expectedMd5}). Reads that range once more to
   * tell why: if the source now holds other bytes (or fewer), it changed while it was stored (a
   * {@link ChangedExternalResourceException}, rules S2 and S3); if it still holds the bytes
   * hashed, they were damaged on the way. Either way nothing was committed.
   */
  ExternalResourceException sourceMismatch(
      Location location,
      ObjectSource source,
      long offset,
      long length,
      String expectedMd5,
      String what,
      Exception cause) {
    String now = md5Now(source, offset, length);
    if (now == null || !now.equals(expectedMd5)) {
      return new ChangedExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + ": the source changed while it"
              + " was stored: " + what + "; bytes " + offset + " to " + (offset + length)
              + " of the source now " + (now == null ? "cannot be read in full" : "have MD5 " + now)
              + ", they had " + expectedMd5 + " when hashed; nothing was stored, and the previous"
              + " object, if any, is as it was (rules S2, S3)",
          location.value(),
          cause);
    }
    return new ExternalResourceException(
        storage + ": store of " + Location.quote(location.value()) + " failed: " + what + ", but the source"
            + " still holds the bytes hashed: they were damaged on the way to the server; nothing"
            + " was stored (rule S2)",
        location.value(),
        cause);
  }

  /**
   * A request failed after reading its body from a re-readable source failed: the source's
   * failure is the one to report. A source shorter than when it was hashed changed while it was
   * stored.
   */
  ExternalResourceException sourceFailed(Location location, IOException sourceError, Exception requestError) {
    ExternalResourceException x;
    if (RangeBody.isShorter(sourceError)) {
      x = new ChangedExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + ": the source changed while it was"
              + " stored: " + sourceError.getMessage() + "; nothing was stored, and the previous"
              + " object, if any, is as it was (rules S2, S3)",
          location.value(),
          sourceError);
    } else {
      x = new ExternalResourceException(
          storage + ": cannot store " + Location.quote(location.value()) + ": reading the source again to"
              + " upload it failed: " + sourceError + "; nothing was stored",
          location.value(),
          sourceError);
    }
    x.addSuppressed(requestError);
    return x;
  }


  /**
   * After a conditional write answered "precondition failed": whether the object present is ours,
   * written by an earlier attempt of the same call whose response was lost and which the SDK then
   * retried. Otherwise another writer won.
   */
  boolean wroteItOurselves(Location location, String key, String writeId) {
    HeadObjectResponse present = storage.head(location, key);
    return present != null && writeId.equals(S3Storage.userMeta(present.metadata(), S3Storage.META_WRITE_ID));
  }

  Map<String, String> userMetadata(Metadata metadata, String writeId) {
    Map<String, String> m = new HashMap<>();
    m.put(S3Storage.META_MD5, metadata.md5());
    m.put(S3Storage.META_SIZE, Long.toString(metadata.size()));
    m.put(S3Storage.META_WRITE_ID, writeId);
    return m;
  }
}
