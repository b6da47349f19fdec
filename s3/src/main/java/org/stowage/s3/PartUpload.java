package org.stowage.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyPartResult;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * One store of an object larger than a part, used once, in one of two ways.
 *
 * <p><b>A re-readable source</b> (the content of {@code storeBytes} or {@code storePath}), {@link
 * #runDirect}: the core has already hashed it, and the MD5 of each part's range was computed in
 * the same pass. One multipart upload on the final key, created with the MD5 and size in its
 * metadata; its parts are read from the source's ranges as they are sent, at most {@code
 * uploadConcurrency} at once, without buffers, each with its range's MD5 from the first pass as
 * {@code Content-MD5}, so the server refuses a part whose bytes changed since they were hashed;
 * each part's ETag, where it is an MD5, is checked against it too. Only when every part matched is
 * the upload completed ({@code If-None-Match: *} for create-if-absent).
 *
 * <p><b>A stream</b>, {@link #run}: the multipart upload to a temporary key, then the
 * server-side copy to the final key with the object's metadata.
 *
 * <p>Why two steps for a stream: S3 takes an object's user metadata when a multipart upload is created, but the
 * MD5 of a stream is known only when the stream has ended, after the last part. So the bytes go to
 * {@code <root>.stowage-tmp/<uuid>} first; then a second multipart upload, created on the final key
 * with the MD5 and size in its metadata, copies the temporary object on the server ({@code
 * UploadPartCopy}, up to 5 GiB per part, so any size works) and is completed, with {@code
 * If-None-Match: *} for create-if-absent. The final key goes from its previous state to the
 * complete object in one step, and every path out of here aborts what it created and deletes the
 * temporary object.
 *
 * <p>Memory: the parts are read one after the other on the calling thread into at most {@code
 * uploadConcurrency} buffers of the part size; a buffer is reused when its part has been uploaded,
 * so reading waits while that many parts are in flight.
 */
final class PartUpload {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(PartUpload.class);
  }
  private static final long MIN_COPY_PART = 512L << 20;

  private final S3Storage storage;
  private final S3Client s3;
  private final Location location;
  private final String bucket;
  private final String key;
  private final String writeId;
  private final long partSize;
  private final boolean partChecksums;

  PartUpload(S3Storage storage, Location location, String key, String writeId, long partSize) {
    this.storage = storage;
    this.s3 = storage.client();
    this.location = location;
    this.bucket = storage.bucket();
    this.key = key;
    this.writeId = writeId;
    this.partSize = partSize;
    this.partChecksums = storage.partChecksums();
  }

  /**
   * Uploads {@code first} (a full part) and the rest of {@code in}, then commits to the final key.
   *
   * @return false if {@code replaceExisting} is false and an object was there (nothing changed)
   */
  boolean run(
      PushbackInputStream in, byte[] first, ObjectSource source, boolean replaceExisting)
      throws IOException {
    String tempKey = storage.tempKey();
    String uploadId =
        createUpload(
            "CreateMultipartUpload (temporary object)",
            tempKey,
            true,
            r -> {
              r.contentType(S3Upload.CONTENT_TYPE);
              if (partChecksums) {
                // The SDK adds a CRC to every part unless checksums are WHEN_REQUIRED; S3 then
                // wants the upload to declare the algorithm and the complete request to list each
                // part's CRC.
                r.checksumAlgorithm(ChecksumAlgorithm.CRC32);
              }
            });
    boolean tempCompleted = false;
    try {
      List<CompletedPart> parts = uploadParts(tempKey, uploadId, in, first);
      call(
          "CompleteMultipartUpload (temporary object)",
          () ->
              s3.completeMultipartUpload(
                  r -> r.bucket(bucket).key(tempKey).uploadId(uploadId)
                      .multipartUpload(u -> u.parts(parts))));
      tempCompleted = true;
      return copyToFinal(tempKey, source.metadata(), replaceExisting);
    } finally {
      if (tempCompleted) {
        deleteQuietly(tempKey);
      } else {
        abortQuietly(tempKey, uploadId);
      }
    }
  }

  /**
   * Uploads a re-readable source, already hashed ({@code ranged}: the whole content's metadata and
   * the MD5 of each range of the part size, from the same pass), in parts straight to the final
   * key, and completes the upload only if the server received, for every part, the bytes that were
   * hashed.
   *
   * @return false if {@code replaceExisting} is false and an object was there (nothing changed)
   * @throws org.stowage.ChangedExternalResourceException if the source changed since it was
   *     hashed (nothing committed, the previous object as it was)
   */
  boolean runDirect(ObjectSource source, ObjectSource.RangedMetadata ranged, boolean replaceExisting)
      throws IOException {
    String uploadId =
        createUpload(
            "CreateMultipartUpload",
            key,
            false,
            r -> {
              r.contentType(S3Upload.CONTENT_TYPE)
                  .metadata(storage.upload().userMetadata(ranged.metadata(), writeId));
              if (partChecksums) {
                r.checksumAlgorithm(ChecksumAlgorithm.CRC32);
              }
            });
    boolean completed = false;
    try {
      List<CompletedPart> parts = uploadRanges(uploadId, source, ranged);
      completed = complete(uploadId, parts, replaceExisting);
      return completed;
    } finally {
      if (!completed) {
        abortQuietly(key, uploadId);
      }
    }
  }

  /**
   * Uploads every range of {@code ranged} as a part, read from {@code source} as it is sent, at
   * most {@code uploadConcurrency} at once on the storage's workers; returns when all are done.
   */
  private List<CompletedPart> uploadRanges(
      String uploadId, ObjectSource source, ObjectSource.RangedMetadata ranged) throws IOException {
    int count = ranged.ranges();
    AtomicReference<IOException> sourceFailure = new AtomicReference<>();
    Parts parts = new Parts(count);
    try {
      for (int i = 0; i < count; i++) {
        int partNumber = i + 1;
        long offset = ranged.rangeOffset(i);
        long length = ranged.rangeLength(i);
        String md5 = ranged.rangeMd5s().get(i);
        if (!parts.submit(partNumber,
            () -> uploadRange(uploadId, source, partNumber, offset, length, md5, sourceFailure), null)) {
          break;
        }
      }
    } catch (InterruptedException | RuntimeException | Error e) {
      throw parts.abandon(e);
    }
    return parts.finish(count);
  }

  /** One part of a direct upload: bytes {@code [offset, offset + length)} of the source. */
  private CompletedPart uploadRange(
      String uploadId,
      ObjectSource source,
      int partNumber,
      long offset,
      long length,
      String md5,
      AtomicReference<IOException> sourceFailure) {
    UploadPartResponse response;
    try {
      response =
          s3.uploadPart(
              r -> {
                r.bucket(bucket).key(key).uploadId(uploadId)
                    .partNumber(partNumber)
                    .contentLength(length)
                    .contentMD5(S3Storage.base64OfHex(md5));
                if (partChecksums) {
                  r.checksumAlgorithm(ChecksumAlgorithm.CRC32);
                }
              },
              RequestBody.fromContentProvider(
                  new RangeBody(source, offset, length, sourceFailure), length, S3Upload.CONTENT_TYPE));
    } catch (SdkException e) {
      if (sourceFailure.get() != null) {
        throw storage.upload().sourceFailed(location, sourceFailure.get(), e);
      }
      if (e instanceof S3Exception && storage.upload().digestRefused((S3Exception) e)) {
        throw storage.upload().sourceMismatch(
            location, source, offset, length, md5,
            "the server refused part " + partNumber + ", whose bytes do not match the MD5 computed"
                + " when the source was hashed (" + ((S3Exception) e).statusCode() + " "
                + S3Errors.errorCode((S3Exception) e) + ")",
            e);
      }
      throw storage.errors().failure("UploadPart " + partNumber, location, e);
    }
    String received =
        S3Storage.md5OfETag(
            checkedETag(response, partNumber), response.serverSideEncryptionAsString(),
            response.sseCustomerAlgorithm());
    if (received != null && !received.equals(md5)) {
      // Only a server that does not check Content-MD5 gets here.
      throw storage.upload().sourceMismatch(
          location, source, offset, length, md5,
          "the server's MD5 of the bytes it received for part " + partNumber + " (its ETag)"
              + " is " + received + ", not the MD5 hashed before the upload",
          null);
    }
    return completed(partNumber, response);
  }

  /** The part's ETag, which every answer to UploadPart carries. */
  private String checkedETag(UploadPartResponse response, int partNumber) {
    if (response.eTag() == null) {
      throw incompleteAnswer("UploadPart " + partNumber, "it has no ETag");
    }
    return response.eTag();
  }

  /** What the complete request lists for an uploaded part. */
  private CompletedPart completed(int partNumber, UploadPartResponse response) {
    return CompletedPart.builder()
        .partNumber(partNumber)
        .eTag(checkedETag(response, partNumber))
        .checksumCRC32(partChecksums ? response.checksumCRC32() : null)
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Step 1 (streams): the parts

  /**
   * Uploads {@code first} and the rest of {@code in} as parts, read one after the other into at
   * most {@code uploadConcurrency} buffers, each uploaded by a worker while the next is read.
   *
   * <p>No part is hashed here: the core hashes the stream as it is read (rule S1), and each part
   * goes from its buffer, the very bytes hashed, to the server, which checks it against the CRC32
   * the SDK adds to the request. Only where the client adds no checksum ({@link
   * S3Storage.ChecksumMode#WHEN_REQUIRED}) does a part carry its own MD5 as {@code Content-MD5},
   * a second MD5 pass over it.
   */
  private List<CompletedPart> uploadParts(
      String tempKey, String uploadId, PushbackInputStream in, byte[] first) throws IOException {
    int concurrency = storage.uploadConcurrency();
    BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(concurrency);
    int allocated = 1;
    Parts parts = new Parts(S3Storage.MAX_PARTS);
    int partNumber = 1;
    byte[] buffer = first;
    int length = first.length;
    boolean last = false;
    try {
      while (true) {
        byte[] part = buffer;
        int partLength = length;
        int number = partNumber;
        if (!parts.submit(number, () -> uploadBuffer(tempKey, uploadId, number, part, partLength),
            () -> free.offer(part))) {
          break;
        }
        if (last) {
          break;
        }
        if (partNumber == S3Storage.MAX_PARTS) {
          throw new ExternalResourceException(
              storage + ": cannot store " + S3Storage.quote(location.value()) + ": the stream is"
                  + " longer than " + S3Storage.MAX_PARTS + " parts of " + partSize + " bytes;"
                  + " build the storage with a larger partSize",
              location.value(),
              null);
        }
        partNumber++;
        buffer = free.poll();
        if (buffer == null) {
          if (allocated < concurrency) {
            buffer = new byte[(int) partSize];
            allocated++;
          } else {
            buffer = free.take();
          }
        }
        parts.rethrowFailure();
        // The stream holds at least one more byte (the caller or the look-ahead below saw it).
        length = fill(in, buffer);
        if (length < buffer.length) {
          last = true;
        } else {
          int next = in.read();
          if (next < 0) {
            last = true;
          } else {
            in.unread(next);
          }
        }
      }
    } catch (InterruptedException | IOException | RuntimeException | Error e) {
      throw parts.abandon(e);
    }
    return parts.finish(partNumber);
  }

  /**
   * One part of a stream's upload, from its buffer. Its MD5 is computed where the part needs it:
   * as its {@code Content-MD5} where the client adds no checksum, and where the server is not
   * known to check checksums at all (the probe saw it ignore {@code Content-MD5}), to compare with
   * the part's ETag, so that a part the server stored other than it was sent fails the upload,
   * which is then aborted: nothing is committed.
   */
  private CompletedPart uploadBuffer(String tempKey, String uploadId, int partNumber, byte[] buffer, int length) {
    boolean checkETag =
        !partChecksums
            || storage.serverFeatures().contentMd5Checked() != S3ServerFeatures.Support.YES;
    String md5Hex = checkETag ? md5Hex(buffer, length) : null;
    String contentMd5 = partChecksums ? null : S3Storage.base64OfHex(md5Hex);
    UploadPartResponse response;
    try {
      response =
          s3.uploadPart(
              r -> {
                r.bucket(bucket).key(tempKey).uploadId(uploadId)
                    .partNumber(partNumber)
                    .contentLength((long) length)
                    .contentMD5(contentMd5);
                if (partChecksums) {
                  r.checksumAlgorithm(ChecksumAlgorithm.CRC32);
                }
              },
              RequestBody.fromContentProvider(
                  () -> new ByteArrayInputStream(buffer, 0, length), length, S3Upload.CONTENT_TYPE));
    } catch (SdkException e) {
      throw storage.errors().failure("UploadPart " + partNumber, location, e);
    }
    if (checkETag) {
      String received = S3Storage.md5OfETag(checkedETag(response, partNumber),
          response.serverSideEncryptionAsString(), response.sseCustomerAlgorithm());
      if (received != null && !received.equals(md5Hex)) {
        throw new ExternalResourceException(
            storage + ": store of " + S3Storage.quote(location.value()) + " failed: the server's"
                + " MD5 of the bytes it stored for part " + partNumber + " (its ETag) is "
                + received + ", not the MD5 " + md5Hex + " of the bytes sent: the server did not"
                + " check them, and stored other bytes; nothing was stored (rule S2)",
            location.value(),
            null);
      }
    }
    return completed(partNumber, response);
  }

  /** Reads into {@code buffer} until it is full or the stream ends; returns the bytes read. */
  private static int fill(PushbackInputStream in, byte[] buffer) throws IOException {
    int n = 0;
    while (n < buffer.length) {
      int r = in.read(buffer, n, buffer.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Step 2 (streams): the copy to the final key, with the metadata

  private boolean copyToFinal(String tempKey, Metadata metadata, boolean replaceExisting)
      throws IOException {
    long size = metadata.size();
    String uploadId =
        createUpload(
            "CreateMultipartUpload",
            key,
            false,
            r -> r.contentType(S3Upload.CONTENT_TYPE).metadata(storage.upload().userMetadata(metadata, writeId)));
    boolean completed = false;
    try {
      long copyPart = copyPartSize(size);
      int count = (int) ((size + copyPart - 1) / copyPart);
      Parts copies = new Parts(count);
      try {
        for (int i = 1; i <= count; i++) {
          int partNumber = i;
          long start = (i - 1) * copyPart;
          long end = Math.min(size, start + copyPart) - 1;
          if (!copies.submit(partNumber, () -> copyPart(tempKey, uploadId, partNumber, start, end), null)) {
            break;
          }
        }
      } catch (InterruptedException | RuntimeException | Error e) {
        throw copies.abandon(e);
      }
      List<CompletedPart> parts = copies.finish(count);
      completed = complete(uploadId, parts, replaceExisting);
      return completed;
    } finally {
      if (!completed) {
        abortQuietly(key, uploadId);
      }
    }
  }

  /** One part of the final object, copied on the server from bytes {@code [start, end]} of the temporary one. */
  private CompletedPart copyPart(String tempKey, String uploadId, int partNumber, long start, long end) {
    CopyPartResult copied;
    try {
      copied =
          s3.uploadPartCopy(
                  r -> r.sourceBucket(bucket).sourceKey(tempKey)
                      .destinationBucket(bucket).destinationKey(key)
                      .uploadId(uploadId).partNumber(partNumber)
                      .copySourceRange("bytes=" + start + "-" + end))
              .copyPartResult();
    } catch (SdkException e) {
      throw storage.errors().failure("UploadPartCopy " + partNumber, location, e);
    }
    String eTag = copied == null ? null : copied.eTag();
    if (eTag == null) {
      throw incompleteAnswer("UploadPartCopy " + partNumber, "it has no CopyPartResult ETag");
    }
    return CompletedPart.builder().partNumber(partNumber).eTag(eTag).build();
  }

  /** Sends one part and returns what the complete request lists for it; throws if it failed. */
  @FunctionalInterface
  private interface PartRequest {
    CompletedPart send();
  }

  /**
   * The parts of one upload, sent in parallel on the storage's workers, at most {@code
   * uploadConcurrency} at once: the one loop of the three kinds of part (ranges of a re-readable
   * source, buffers of a stream, server-side copies). The first failure stops the submitting of
   * parts; parts already running finish, and their results are dropped.
   */
  private final class Parts {
    private final Semaphore slots = new Semaphore(storage.uploadConcurrency());
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReferenceArray<CompletedPart> done;
    private final List<Future<?>> inFlight = new ArrayList<>();

    Parts(int maxParts) {
      done = new AtomicReferenceArray<>(maxParts + 1);
    }

    /**
     * Waits for a free slot, then sends the part on a worker, and runs {@code afterwards} (if not
     * null) once it is done or dropped.
     *
     * @return false if a part has failed: submit no more
     * @throws ExternalResourceException if the storage was closed meanwhile
     */
    boolean submit(int partNumber, PartRequest request, Runnable afterwards) throws InterruptedException {
      slots.acquire();
      Runnable task =
          () -> {
            try {
              if (failure.get() == null) {
                done.set(partNumber, request.send());
              }
            } catch (RuntimeException | Error e) {
              failure.compareAndSet(null, e);
            } finally {
              slots.release();
              if (afterwards != null) {
                afterwards.run();
              }
            }
          };
      try {
        inFlight.add(storage.workers().submit(task));
      } catch (RejectedExecutionException e) {
        slots.release();
        if (afterwards != null) {
          afterwards.run();
        }
        throw new ExternalResourceException(
            storage + ": cannot store " + S3Storage.quote(location.value())
                + ": the storage was closed during the upload",
            location.value(),
            e);
      }
      inFlight.removeIf(Future::isDone);
      return failure.get() == null;
    }

    /** Throws the first part's failure, if one failed. */
    void rethrowFailure() throws IOException {
      rethrow(failure.get());
    }

    /**
     * After the submitting thread failed with {@code e}: stops the parts, waits for those running,
     * and returns what to throw (an interrupt as the storage reports it).
     */
    RuntimeException abandon(Throwable e) throws IOException {
      failure.compareAndSet(null, e);
      awaitAll(inFlight);
      if (e instanceof InterruptedException interrupted) {
        throw S3Errors.interrupted(interrupted);
      }
      rethrow(e);
      throw new AssertionError("unreachable", e);
    }

    /** Waits for every part, throws the first failure, or returns parts 1 to {@code count}. */
    List<CompletedPart> finish(int count) throws IOException {
      awaitAll(inFlight);
      rethrow(failure.get());
      List<CompletedPart> parts = new ArrayList<>(count);
      for (int i = 1; i <= count; i++) {
        parts.add(done.get(i));
      }
      return parts;
    }
  }

  /**
   * CompleteMultipartUpload of {@code uploadId} on the final key, with {@code If-None-Match: *}
   * unless {@code replaceExisting}: the step that makes the object visible, whole, in one go.
   *
   * @return true if the object is now the one of this upload; false if {@code replaceExisting} is
   *     false and another object was there (the upload is then still open: the caller aborts it)
   */
  private boolean complete(String uploadId, List<CompletedPart> parts, boolean replaceExisting) {
    for (int attempt = 1; ; attempt++) {
      try {
        CompleteMultipartUploadResponse answer =
            s3.completeMultipartUpload(
                r -> {
                  r.bucket(bucket).key(key).uploadId(uploadId)
                      .multipartUpload(u -> u.parts(parts));
                  if (!replaceExisting) {
                    r.ifNoneMatch("*");
                  }
                });
        if (answer.eTag() == null && !storage.upload().wroteItOurselves(location, key, writeId)) {
          // S3 answers 200 at once and tells the outcome in the body, which can be an error;
          // an answer whose body was cut off says nothing, and our object is not there.
          throw incompleteAnswer(
              "CompleteMultipartUpload", "it has no ETag, and the object is not there");
        }
        return true;
      } catch (S3Exception e) {
        if (!replaceExisting && S3Errors.isPreconditionFailed(e)) {
          return storage.upload().wroteItOurselves(location, key, writeId);
        }
        if (S3Errors.isConditionalConflict(e) && attempt < 5) {
          continue;
        }
        if (e instanceof NoSuchUploadException
            && storage.upload().wroteItOurselves(location, key, writeId)) {
          // An earlier attempt, retried by the SDK, completed it and its answer was lost.
          return true;
        }
        throw storage.errors().failure("CompleteMultipartUpload", location, e);
      } catch (SdkException e) {
        throw storage.errors().failure("CompleteMultipartUpload", location, e);
      }
    }
  }

  /** A failure for an answer that arrived without what every answer of its kind carries. */
  private ExternalResourceException incompleteAnswer(String operation, String what) {
    return new ExternalResourceException(
        storage + ": " + operation + " of " + S3Storage.quote(location.value()) + " failed: the"
            + " server's answer was incomplete (" + what + "): the connection was cut short, or the"
            + " server is not S3-compatible",
        location.value(),
        null);
  }

  /** Copy parts of at least 512 MiB, and few enough for S3's limit, at most 5 GiB. */
  static long copyPartSize(long size) {
    long mib = 1L << 20;
    long needed = (size + S3Storage.MAX_PARTS - 1) / S3Storage.MAX_PARTS;
    needed = (needed + mib - 1) / mib * mib;
    return Math.min(S3Storage.S3_MAX_PART_SIZE, Math.max(MIN_COPY_PART, needed));
  }

  // ---------------------------------------------------------------------------------------------
  // Creating uploads without leaving strays

  /**
   * CreateMultipartUpload on {@code k}, leaving no other upload behind. If an attempt's answer is
   * lost (a connection dropped after the server created the upload) and the SDK retries, the server
   * holds an upload this store never learns the id of: empty, but listed and kept until a lifecycle
   * rule removes it. So when the SDK had to retry, this looks for such strays and aborts them:
   *
   * <ul>
   *   <li>on the temporary key, whose name is random and this store's alone, every upload but the
   *       one returned, also when the request failed in the end;
   *   <li>on the final key, which concurrent writers may share, only uploads initiated between the
   *       start of this request and the upload it returned (by the server's clock, with a second
   *       of slack), the window in which a lost attempt of this request created one.
   * </ul>
   */
  private String createUpload(
      String operation,
      String k,
      boolean uniqueKey,
      java.util.function.Consumer<CreateMultipartUploadRequest.Builder> details) {
    RetryCount retries = new RetryCount();
    long started = System.nanoTime();
    String uploadId;
    try {
      uploadId =
          s3.createMultipartUpload(
                  r -> {
                    r.bucket(bucket).key(k);
                    details.accept(r);
                    r.overrideConfiguration(o -> o.addMetricPublisher(retries));
                  })
              .uploadId();
    } catch (SdkException e) {
      if (uniqueKey) {
        abortStrays(k, null, null);
      }
      throw storage.errors().failure(operation, location, e);
    }
    if (retries.retried()) {
      abortStrays(k, uploadId, uniqueKey ? null : Duration.ofNanos(System.nanoTime() - started));
    }
    return uploadId;
  }

  /**
   * Aborts the uploads on exactly {@code k} other than {@code ours}: all of them if {@code window}
   * is null, otherwise those initiated at most {@code window} (plus a second) before {@code ours}
   * and not after it. Failures are logged: the strays are empty, and a lifecycle rule removes
   * them.
   */
  private void abortStrays(String k, String ours, Duration window) {
    try {
      List<MultipartUpload> uploads = new ArrayList<>();
      s3.listMultipartUploadsPaginator(r -> r.bucket(bucket).prefix(k)).uploads().forEach(uploads::add);
      Instant oursInitiated = null;
      for (MultipartUpload u : uploads) {
        if (u.uploadId().equals(ours)) {
          oursInitiated = u.initiated();
        }
      }
      for (MultipartUpload u : uploads) {
        if (!u.key().equals(k) || u.uploadId().equals(ours)) {
          continue;
        }
        if (window != null) {
          if (oursInitiated == null || u.initiated() == null) {
            continue;
          }
          Instant earliest = oursInitiated.minus(window).minusSeconds(1);
          if (u.initiated().isBefore(earliest) || u.initiated().isAfter(oursInitiated)) {
            continue;
          }
        }
        Log.LOG.debug(
            "{}: aborting the multipart upload {} of key {}, created by an attempt whose answer"
                + " was lost",
            storage, u.uploadId(), S3Storage.quote(k));
        abortQuietly(k, u.uploadId());
      }
    } catch (SdkException e) {
      Log.LOG.warn(
          "{}: could not look for multipart uploads of key {} left by a retried request while"
              + " storing {}; an empty one may stay until a lifecycle rule"
              + " (AbortIncompleteMultipartUpload) removes it: {}",
          storage, S3Storage.quote(k), S3Storage.quote(location.value()), e.toString());
    }
  }

  /** Receives a request's metrics, synchronously at its end, and keeps whether it was retried. */
  private static final class RetryCount implements MetricPublisher {
    private volatile boolean retried;

    @Override
    public void publish(MetricCollection metrics) {
      for (Integer n : metrics.metricValues(CoreMetric.RETRY_COUNT)) {
        if (n != null && n > 0) {
          retried = true;
        }
      }
    }

    boolean retried() {
      return retried;
    }

    @Override
    public void close() {
      // nothing held
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private void abortQuietly(String k, String uploadId) {
    try {
      s3.abortMultipartUpload(r -> r.bucket(bucket).key(k).uploadId(uploadId));
    } catch (NoSuchUploadException e) {
      // already gone
    } catch (SdkException e) {
      Log.LOG.warn(
          "{}: could not abort the multipart upload {} of key {} after a failed store of {}; its"
              + " parts stay until a lifecycle rule (AbortIncompleteMultipartUpload) removes"
              + " them: {}",
          storage,
          uploadId,
          S3Storage.quote(k),
          S3Storage.quote(location.value()),
          e.toString());
    }
  }

  private void deleteQuietly(String tempKey) {
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(tempKey));
    } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException gone) {
      // Already gone (servers that answer 404 to deleting a missing key): nothing to clean.
    } catch (SdkException e) {
      Log.LOG.warn(
          "{}: could not delete the temporary object {} after storing {}; it is never listed, and"
              + " a lifecycle rule on the .stowage-tmp/ prefix can expire it: {}",
          storage,
          S3Storage.quote(tempKey),
          S3Storage.quote(location.value()),
          e.toString());
    }
  }

  /** Waits for every task to finish, whatever happens, keeping the interrupt status. */
  private static void awaitAll(List<Future<?>> tasks) {
    boolean interrupted = false;
    for (Future<?> f : tasks) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
          break; // tasks record their own failures
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void rethrow(Throwable t) throws IOException {
    if (t == null) {
      return;
    }
    if (t instanceof IOException) {
      throw (IOException) t;
    }
    if (t instanceof RuntimeException) {
      throw (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    throw new IOException(t);
  }

  private <T> T call(String operation, java.util.function.Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw storage.errors().failure(operation, location, e);
    }
  }

  private static String md5Hex(byte[] data, int length) {
    MessageDigest md5 = Metadata.newMd5();
    md5.update(data, 0, length);
    return java.util.HexFormat.of().formatHex(md5.digest());
  }
}
