package org.stowage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.codec.binary.Hex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3ServiceClientConfiguration;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An {@link ExternalStorage} on an S3 bucket (AWS S3, MinIO, Ceph, s3proxy and other servers that
 * speak the S3 API), built on the AWS SDK for Java v2.
 *
 * <p>Each location is stored as one S3 object whose key is the storage's root {@linkplain
 * Builder#prefix prefix} followed by the location; {@code uri("a/b")} is {@code
 * s3://bucket/prefix/a/b}. The object carries its MD5 and size as user metadata ({@code
 * x-amz-meta-stowage-md5}, {@code x-amz-meta-stowage-size}), so {@link #getMetadata} is one HEAD
 * request and objects uploaded in parts, whose ETag is not an MD5, still have their true MD5.
 *
 * <h2>How it works</h2>
 *
 * <ul>
 *   <li><b>Storing a file or a byte array</b> ({@code storePath}, {@code storeBytes}), whose
 *       content can be read twice: the core hashes it first, so its MD5 is known before anything
 *       is sent, and it goes straight to its final key: up to one {@linkplain Builder#partSize
 *       part}, one {@code PutObject} whose body is read from the source as it is sent, with {@code
 *       Content-MD5}; larger, one multipart upload on the final key, created with the MD5 in its
 *       metadata, whose parts are read from the source's ranges as they are sent, in parallel,
 *       without buffers, each with the MD5 of its range (from the same first pass) as {@code
 *       Content-MD5}. The server refuses any piece whose bytes are not the ones hashed, so a
 *       source changed while it is stored is never committed: the store fails with a {@link
 *       ChangedExternalResourceException} and the previous object stays.
 *   <li><b>Storing a stream</b> ({@code storeStream}) of up to one part is a single {@code
 *       PutObject} of a buffer in memory, with {@code Content-MD5}, so the server itself refuses a
 *       body damaged in transit. A larger stream is uploaded in parts to a temporary key under the
 *       reserved {@code .stowage-tmp/} folder of the root (parts read in turn from the source,
 *       uploaded in parallel, each with the SDK's CRC32, or its own {@code Content-MD5} under {@link
 *       ChecksumMode#WHEN_REQUIRED}, in memory bounded by part
 *       size times {@linkplain Builder#uploadConcurrency concurrency}); once the source has ended
 *       and its MD5 is known, the object is copied on the server to its final key by a second
 *       multipart upload whose parts are {@code UploadPartCopy}s of the temporary object and which
 *       carries the MD5 in its metadata. Failed uploads are aborted and the temporary object
 *       deleted.
 *   <li>Either way the final key only ever holds a complete object with the right metadata (rule
 *       S2). See {@code docs/s3.md}.
 *   <li><b>Create-if-absent</b> ({@link org.stowage.WritePolicy#CREATE}) is a conditional write,
 *       {@code If-None-Match: *} on the {@code PutObject} or on the final {@code
 *       CompleteMultipartUpload}: the server decides, so of concurrent writers exactly one wins.
 *   <li><b>Loading</b> is one streaming {@code GetObject}; closing the stream early aborts the
 *       connection instead of draining the rest of the object. {@link #verify} checks the bytes of
 *       that GET against the metadata of that same response.
 *   <li><b>{@link #exists} and {@link #getMetadata}</b> are one {@code HeadObject}; the recorded
 *       size is checked against the object's length, and the recorded MD5 against the ETag when the
 *       ETag is an MD5, so an object replaced behind the store's back is reported as changed (R3).
 *   <li><b>Deleting</b> is a {@code HeadObject} and a {@code DeleteObject} conditional on the ETag
 *       seen ({@code If-Match}), which tells whether this call removed the object (D1).
 *   <li><b>Listing</b> is {@code ListObjectsV2}, fetched a page at a time as the stream is consumed,
 *       in S3's UTF-8 binary key order; the reserved temporary folder is never listed.
 * </ul>
 *
 * <p>Errors: a missing bucket, refused credentials, an unreachable endpoint or a timeout become an
 * {@link ExternalResourceException} whose message names the storage (bucket, root and endpoint),
 * the operation, the location and the S3 error, and never a credential. Throttling ({@code 503
 * SlowDown}), {@code 5xx} errors and connection resets are retried by the SDK's standard retry
 * strategy ({@link Builder#maxAttempts}).
 *
 * <p>Threads: safe for concurrent use. Each upload in parts uses the storage's pool of {@code
 * uploadConcurrency} worker threads, created when needed and released when idle.
 *
 * <p>Create one with {@link #builder()}.
 */
public final class S3Storage extends ExternalStorage {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(S3Storage.class);
  }

  /** The smallest part size S3 accepts for all parts but the last: 5 MiB. */
  public static final long MIN_PART_SIZE = 5L << 20;

  /**
   * The largest part size this backend uploads from memory: 1 GiB (parts are Java arrays, and an
   * upload holds {@code uploadConcurrency} of them). S3 itself accepts up to {@link
   * #S3_MAX_PART_SIZE}.
   */
  public static final long MAX_PART_SIZE = 1L << 30;

  /** The largest part S3 accepts, in an upload or a server-side copy: 5 GiB. */
  static final long S3_MAX_PART_SIZE = 5L << 30;

  /** The default part size: 8 MiB. */
  public static final long DEFAULT_PART_SIZE = 8L << 20;

  /** The default number of parts uploaded in parallel: 4. */
  public static final int DEFAULT_UPLOAD_CONCURRENCY = 4;

  /** The default and largest number of keys fetched per listing request: 1000. */
  public static final int DEFAULT_LIST_PAGE_SIZE = 1000;

  /** The most parts one multipart upload may have. */
  static final int MAX_PARTS = 10_000;

  /** The longest key S3 accepts, in UTF-8 bytes. */
  static final int MAX_KEY_BYTES = 1024;

  /**
   * The folder, inside the root, where the uploads in parts of streams are assembled before they
   * are copied to their final key. A location can never start with it (rule L2 reserves {@code
   * .stowage}). Files and byte arrays never use it.
   */
  static final String TEMP_FOLDER = Location.RESERVED_PREFIX + "-tmp/";

  /** User metadata key (after {@code x-amz-meta-}) of the object's MD5, lowercase hex. */
  static final String META_MD5 = "stowage-md5";

  /** User metadata key of the object's size in bytes, decimal. */
  static final String META_SIZE = "stowage-size";

  /**
   * User metadata key of a random id of the store call that wrote the object: tells a write that
   * the SDK retried after a lost response ("412: already there") from a concurrent writer.
   */
  static final String META_WRITE_ID = "stowage-write-id";

  private static final Pattern MD5_HEX = Pattern.compile("[0-9a-f]{32}");

  /**
   * The loggers of the HTTP clients and the SDK that write request headers (credentials in them)
   * when enabled at DEBUG.
   */
  static final java.util.List<String> HEADER_LOGGERS =
      java.util.List.of(
          "org.apache.hc.client5.http.headers",
          "org.apache.hc.client5.http.wire",
          "org.apache.http.headers",
          "org.apache.http.wire",
          "software.amazon.awssdk.http.auth.aws.internal.signer.DefaultV4RequestSigner",
          "software.amazon.awssdk.auth.signer.Aws4Signer");
  /** Times a conditional request is sent again after a conflict with a concurrent one. */
  static final int CONDITIONAL_RETRIES = 5;

  private final S3Client s3;
  private final boolean ownsClient;
  private final String bucket;
  private final String root;
  private final String endpointLabel;
  private final long partSize;
  private final int uploadConcurrency;
  private final int listPageSize;
  private final boolean readOnlyForeignBucket;
  private final ThreadPoolExecutor workers;
  private final AtomicBoolean bucketConfirmed = new AtomicBoolean();
  private final S3Errors errors;
  private final S3Upload upload;
  /** What the server does: given to the builder, or learned by the probe on first need. */
  private volatile S3ServerFeatures features;

  private S3Storage(Builder b, S3Client s3, boolean ownsClient, String endpointLabel) {
    this.s3 = s3;
    this.ownsClient = ownsClient;
    this.bucket = b.bucket;
    this.root = b.root;
    this.endpointLabel = endpointLabel;
    this.partSize = b.partSize;
    this.uploadConcurrency = b.uploadConcurrency;
    this.listPageSize = b.listPageSize;
    this.readOnlyForeignBucket = b.readOnlyForeignBucket;
    this.workers =
        new ThreadPoolExecutor(
            uploadConcurrency,
            uploadConcurrency,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            new WorkerThreads(bucket));
    this.workers.allowCoreThreadTimeOut(true);
    this.errors = new S3Errors(toString(), bucket, endpointLabel);
    this.upload = new S3Upload(this, errors);
    this.features = b.serverFeatures;
  }

  /**
   * What the S3 server does with the requests this storage's guarantees rest on, and the rules it
   * therefore cannot back ({@link S3ServerFeatures#refusals()}). Learned once per storage by the
   * probe, on the first call or the first store, whichever comes first: a few small requests under
   * {@code <root>.stowage-tmp/}, which leave nothing behind (docs/s3.md, "The server probe"); the
   * findings are logged once at INFO. Not probed when the builder was given them ({@link
   * Builder#serverFeatures}), nor for a storage built with {@code readOnlyForeignBucket(true)},
   * which writes nothing (every answer is then {@code UNKNOWN}).
   *
   * <p>Stores act on it: one whose guarantee the server cannot back fails at once, with an {@link
   * ExternalResourceException} that names the missing feature and what to do, never with a weaker
   * guarantee: a store with a policy other than {@code OVERWRITE} where {@code If-None-Match} is
   * ignored; a stream larger than a part where {@code UploadPartCopy} is missing; any store where
   * neither {@code Content-MD5} is checked nor the ETag is an MD5.
   *
   * @return what the server does: as given to the builder, or as probed once, on the first call or
   *     store that needed it; the same value on every later call
   * @throws ExternalResourceException if the probe's requests fail (no access, no bucket, the
   *     server unreachable); the next call probes again
   */
  public S3ServerFeatures serverFeatures() {
    S3ServerFeatures f = features;
    if (f != null) {
      return f;
    }
    synchronized (this) {
      if (features == null) {
        String server = endpointLabel + " bucket " + quote(bucket);
        if (readOnlyForeignBucket) {
          features = new S3ServerFeatures(server, S3ServerFeatures.Support.UNKNOWN,
              S3ServerFeatures.Support.UNKNOWN, S3ServerFeatures.Support.UNKNOWN, S3ServerFeatures.Support.UNKNOWN,
              S3ServerFeatures.Support.UNKNOWN, S3ServerFeatures.Support.UNKNOWN, null,
              S3ServerFeatures.Support.UNKNOWN, S3ServerFeatures.Support.UNKNOWN,
              S3ServerFeatures.ListingOrder.UNKNOWN,
              java.util.List.of("not probed: the storage is read-only (readOnlyForeignBucket)"));
        } else {
          try {
            features = S3ServerProbe.probe(
                s3, bucket, root + TEMP_FOLDER + "probe-" + UUID.randomUUID() + "/", server);
          } catch (SdkException e) {
            throw errors.failure("the server probe", null, e);
          }
          Log.LOG.info("{}: {}", this, features.report());
        }
      }
      return features;
    }
  }

  /**
   * A builder; {@link Builder#bucket} is required, everything else has a default.
   *
   * @return a new builder with every option at its default and no bucket
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The bucket.
   *
   * @return the bucket's name, as given to the builder
   */
  public String bucket() {
    return bucket;
  }

  /**
   * The root prefix of every key: empty, or ending with {@code /}.
   *
   * @return the root prefix, empty or ending with {@code /}; never null
   */
  public String rootPrefix() {
    return root;
  }

  /**
   * The configured part size in bytes.
   *
   * @return the part size, in bytes, as configured (uploads of a file or array may use larger parts
   *     to fit 10,000)
   */
  public long partSize() {
    return partSize;
  }

  /** {@code S3Storage[s3://bucket/prefix/ @ endpoint]}; never a credential. */
  @Override
  public String toString() {
    return "S3Storage[s3://" + bucket + "/" + root + " @ " + endpointLabel + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks: storing

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    if (readOnlyForeignBucket) {
      throw new ExternalResourceException(
          this + ": cannot store " + quote(location.value())
              + ": the storage was built with readOnlyForeignBucket(true)",
          location.value(),
          null);
    }
    return upload.write(location, keyForWrite(location), source, replaceExisting);
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks: reading

  @Override
  protected InputStream openObject(Location location) throws IOException {
    ResponseInputStream<GetObjectResponse> in = get(location);
    return in == null ? null : new S3ObjectStream(in);
  }

  @Override
  protected OpenObject openWithMetadata(Location location) throws IOException {
    ChangedExternalResourceException previous = null;
    for (int attempt = 1; ; attempt++) {
      ResponseInputStream<GetObjectResponse> in = get(location);
      if (in == null) {
        return null;
      }
      try {
        GetObjectResponse r = in.response();
        Metadata m =
            metadataOf(
                location,
                r.metadata(),
                r.contentLength(),
                r.eTag(),
                r.serverSideEncryptionAsString(),
                r.sseCustomerAlgorithm());
        return new OpenObject(new S3ObjectStream(in), m);
      } catch (ChangedExternalResourceException e) {
        in.abort();
        previous = confirmChanged(e, previous, attempt);
      } catch (RuntimeException e) {
        in.abort();
        throw e;
      }
    }
  }

  /**
   * GET of the object, or null if there is none. An answer without {@code Content-Length} is
   * asked again: S3 always sends one for an object, so its absence means that the header block
   * was cut short (the HTTP client takes a connection closed inside the headers for their end, and
   * would then read the body "until the connection closes": nothing). Such an answer is never
   * handed out as an empty object.
   */
  private ResponseInputStream<GetObjectResponse> get(Location location) {
    for (int attempt = 1; ; attempt++) {
      ResponseInputStream<GetObjectResponse> in = getOnce(location);
      if (in == null || in.response().contentLength() != null) {
        return in;
      }
      in.abort();
      if (attempt >= S3Errors.INCOMPLETE_ATTEMPTS) {
        throw errors.incomplete("GetObject", location, "it has no Content-Length header");
      }
    }
  }

  /**
   * A {@link ChangedExternalResourceException} drawn from a response's headers is confirmed by
   * another request before it is believed: a header block cut short (see {@link #get}) can lack
   * the Stowage record or end inside one of its values, and must not pass for an object changed
   * behind the store's back (R3). Two answers in a row that say the same, or a third, decide.
   *
   * @return {@code changed}, to compare the next answer with
   * @throws ChangedExternalResourceException {@code changed}, if confirmed
   */
  private static ChangedExternalResourceException confirmChanged(
      ChangedExternalResourceException changed,
      ChangedExternalResourceException previous,
      int attempt) {
    if (attempt >= S3Errors.INCOMPLETE_ATTEMPTS
        || (previous != null && previous.getMessage().equals(changed.getMessage()))) {
      throw changed;
    }
    return changed;
  }

  private ResponseInputStream<GetObjectResponse> getOnce(Location location) {
    String key = keyForRead(location);
    if (key == null) {
      return null;
    }
    try {
      return s3.getObject(r -> r.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      return null;
    } catch (S3Exception e) {
      if (S3Errors.isMissingKey(e)) {
        return null;
      }
      throw errors.failure("GetObject", location, e);
    } catch (SdkException e) {
      throw errors.failure("GetObject", location, e);
    }
  }

  @Override
  protected boolean objectExists(Location location) throws IOException {
    String key = keyForRead(location);
    return key != null && head(location, key) != null;
  }

  @Override
  protected Metadata objectMetadata(Location location) throws IOException {
    String key = keyForRead(location);
    if (key == null) {
      return null;
    }
    ChangedExternalResourceException previous = null;
    for (int attempt = 1; ; attempt++) {
      HeadObjectResponse r = head(location, key);
      if (r == null) {
        return null;
      }
      try {
        return metadataOf(
            location,
            r.metadata(),
            r.contentLength(),
            r.eTag(),
            r.serverSideEncryptionAsString(),
            r.sseCustomerAlgorithm());
      } catch (ChangedExternalResourceException e) {
        previous = confirmChanged(e, previous, attempt);
      }
    }
  }

  /**
   * A server-side copy for {@code copy} and {@code move} under {@code OVERWRITE}: one CopyObject,
   * the bytes never leave the server, and the Stowage record travels with them (metadata directive
   * COPY). It is conditional on the source's ETag ({@code x-amz-copy-source-if-match}), so the copy
   * is exactly the version whose metadata was read. It is taken only when the server vouches for
   * the source's bytes: its ETag is a plain MD5 and equals the record, so the copy is verified
   * without reading it. Otherwise (an object uploaded in parts, SSE-KMS, over 5 GiB, a source
   * replaced meanwhile), and always for {@code CREATE} (not every server honours {@code
   * If-None-Match} on CopyObject; s3proxy 4.1.0 ignores it), the core's streamed, verified copy
   * runs instead.
   */
  @Override
  protected Metadata copyObject(Location from, Location to, boolean replaceExisting)
      throws IOException {
    String source = keyForRead(from);
    if (!replaceExisting || readOnlyForeignBucket || source == null) {
      return super.copyObject(from, to, replaceExisting);
    }
    HeadObjectResponse head = head(from, source);
    if (head == null) {
      throw new java.nio.file.NoSuchFileException(from.value());
    }
    Metadata copied = copyOnServer(from, to, source, head);
    return copied != null ? copied : super.copyObject(from, to, replaceExisting);
  }

  /**
   * Moves with a server-side copy, then deletes the source only if it is still the version copied
   * ({@code If-Match} on the ETag the copy was conditional on): a version written at {@code from}
   * between the copy and the delete stays there, as if written after the move, instead of being
   * deleted without ever having been copied. Where the server cannot vouch for the MD5, the move
   * is the default verified copy and delete.
   */
  @Override
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting)
      throws IOException {
    String source = keyForRead(from);
    if (!replaceExisting || readOnlyForeignBucket || source == null) {
      return super.moveObject(from, to, replaceExisting);
    }
    HeadObjectResponse head = head(from, source);
    if (head == null) {
      throw new java.nio.file.NoSuchFileException(from.value());
    }
    Metadata moved = copyOnServer(from, to, source, head);
    if (moved == null) {
      return super.moveObject(from, to, replaceExisting);
    }
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(source).ifMatch(head.eTag()));
    } catch (NoSuchKeyException e) {
      // deleted meanwhile by someone else: the move is complete
    } catch (S3Exception e) {
      boolean replacedOrGone = S3Errors.isPreconditionFailed(e) || S3Errors.isConditionalConflict(e)
          || (S3Errors.isMissingKey(e));
      if (e.statusCode() == 501) {
        deleteObject(from); // a server without conditional deletes: as a plain move does
      } else if (!replacedOrGone) {
        throw errors.failure("DeleteObject", from, e);
      }
    } catch (SdkException e) {
      throw errors.failure("DeleteObject", from, e);
    }
    return moved;
  }

  /**
   * Copies the version {@code head} describes to {@code to} on the server, conditional on its ETag,
   * and returns its metadata; {@code null} if the server cannot vouch for the MD5 (its ETag is not
   * the recorded MD5, or the object is too large for one copy) or the source was replaced
   * meanwhile: then the caller streams and verifies instead.
   */
  private Metadata copyOnServer(Location from, Location to, String source, HeadObjectResponse head)
      throws IOException {
    Metadata metadata = metadataOf(from, head.metadata(), head.contentLength(), head.eTag(),
        head.serverSideEncryptionAsString(), head.sseCustomerAlgorithm());
    String vouched = md5OfETag(head.eTag(), head.serverSideEncryptionAsString(), head.sseCustomerAlgorithm());
    if (!metadata.md5().equals(vouched) || metadata.size() > S3_MAX_PART_SIZE) {
      return null;
    }
    String target = keyForWrite(to);
    try {
      s3.copyObject(r -> r.sourceBucket(bucket).sourceKey(source)
          .destinationBucket(bucket).destinationKey(target)
          .copySourceIfMatch(head.eTag())
          .metadataDirective(software.amazon.awssdk.services.s3.model.MetadataDirective.COPY));
      return metadata;
    } catch (S3Exception e) {
      if (S3Errors.isPreconditionFailed(e)) {
        return null; // replaced meanwhile: stream the new one
      }
      if (S3Errors.isMissingKey(e)) {
        throw new java.nio.file.NoSuchFileException(from.value());
      }
      throw errors.failure("CopyObject", to, e);
    } catch (SdkException e) {
      throw errors.failure("CopyObject", to, e);
    }
  }

  /**
   * HEAD of {@code key}, or null if there is no object; a missing bucket is an error. An answer
   * without {@code Content-Length} was cut short (see {@link #get}) and is asked again.
   */
  HeadObjectResponse head(Location location, String key) {
    for (int attempt = 1; ; attempt++) {
      HeadObjectResponse r = headOnce(location, key);
      if (r == null || r.contentLength() != null) {
        return r;
      }
      if (attempt >= S3Errors.INCOMPLETE_ATTEMPTS) {
        throw errors.incomplete("HeadObject", location, "it has no Content-Length header");
      }
    }
  }

  private HeadObjectResponse headOnce(Location location, String key) {
    try {
      return s3.headObject(r -> r.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      confirmBucket(location, e);
      return null;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        confirmBucket(location, e);
        return null;
      }
      throw errors.failure("HeadObject", location, e);
    } catch (SdkException e) {
      throw errors.failure("HeadObject", location, e);
    }
  }

  /**
   * A HEAD answers 404 without a body, for a missing key and for a missing bucket alike. The first
   * time, ask the bucket itself, so that a misconfigured bucket is an error rather than an empty
   * store.
   */
  private void confirmBucket(Location location, S3Exception notFound) {
    if (bucketConfirmed.get()) {
      return;
    }
    try {
      s3.headBucket(r -> r.bucket(bucket));
      bucketConfirmed.set(true);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        ExternalResourceException x = errors.noSuchBucket("HeadObject", location, e);
        x.addSuppressed(notFound);
        throw x;
      }
      // 403 and the like: the credentials may read objects but not the bucket; the object's 404
      // stands.
      Log.LOG.debug("{}: HeadBucket answered {}; taking the bucket as present", this, e.statusCode());
      bucketConfirmed.set(true);
    } catch (SdkException e) {
      throw errors.failure("HeadBucket", location, e);
    }
  }

  /**
   * The metadata of an object from its response headers.
   *
   * @throws ChangedExternalResourceException if the record is missing (in a Stowage bucket),
   *     malformed, or contradicted by the object's length or its MD5 ETag
   */
  private Metadata metadataOf(
      Location location,
      Map<String, String> user,
      Long contentLength,
      String eTag,
      String sse,
      String sseCustomerAlgorithm) {
    String md5 = userMeta(user, META_MD5);
    String sizeText = userMeta(user, META_SIZE);
    String etagMd5 = md5OfETag(eTag, sse, sseCustomerAlgorithm);
    long length = contentLength == null ? -1 : contentLength;
    if (md5 != null || sizeText != null) {
      long size;
      try {
        size = sizeText == null ? -1 : Long.parseLong(sizeText);
      } catch (NumberFormatException e) {
        size = -1;
      }
      if (md5 == null || !MD5_HEX.matcher(md5).matches() || size < 0) {
        throw changed(
            location,
            "its Stowage record is malformed (md5 " + quote(String.valueOf(md5)) + ", size "
                + quote(String.valueOf(sizeText)) + ")");
      }
      if (length >= 0 && length != size) {
        throw changed(
            location,
            "it holds " + length + " bytes, but its record says " + size);
      }
      if (etagMd5 != null && !etagMd5.equals(md5)) {
        throw changed(
            location,
            "the server's MD5 of its bytes (ETag) is " + etagMd5 + ", but its record says " + md5);
      }
      return new Metadata(md5, size);
    }
    if (!readOnlyForeignBucket) {
      throw changed(
          location,
          "it has no Stowage MD5 record (x-amz-meta-" + META_MD5 + "): it was written or replaced"
              + " by another tool; to read buckets written by other tools, build the storage with"
              + " readOnlyForeignBucket(true)");
    }
    if (etagMd5 != null && length >= 0) {
      return new Metadata(etagMd5, length);
    }
    throw new ExternalResourceException(
        this + ": no MD5 is known for " + quote(location.value()) + ": it has no Stowage record and"
            + " its ETag " + quote(String.valueOf(eTag)) + " is not an MD5 of its bytes (an"
            + " object uploaded in parts, or encrypted with SSE-KMS or SSE-C); read it with"
            + " loadStream, without expected metadata",
        location.value(),
        null);
  }

  /** The ETag as an MD5 of the object's bytes, or null where S3 does not make it one. */
  static String md5OfETag(String eTag, String sse, String sseCustomerAlgorithm) {
    if (eTag == null || sseCustomerAlgorithm != null) {
      return null;
    }
    if (sse != null && sse.toLowerCase(Locale.ROOT).startsWith("aws:kms")) {
      return null;
    }
    String e = eTag.trim();
    if (e.startsWith("W/")) {
      return null;
    }
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
      e = e.substring(1, e.length() - 1);
    }
    e = e.toLowerCase(Locale.ROOT);
    return MD5_HEX.matcher(e).matches() ? e : null;
  }

  static String userMeta(Map<String, String> user, String name) {
    if (user == null) {
      return null;
    }
    String v = user.get(name);
    if (v != null) {
      return v;
    }
    for (Map.Entry<String, String> e : user.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  private ChangedExternalResourceException changed(Location location, String what) {
    return new ChangedExternalResourceException(
        this + ": the object at " + quote(location.value()) + " was changed behind the store's"
            + " back: " + what + " (rule R3)",
        location.value());
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks: deleting, listing, URIs

  @Override
  protected boolean deleteObject(Location location) throws IOException {
    if (readOnlyForeignBucket) {
      throw new ExternalResourceException(
          this + ": cannot delete " + quote(location.value())
              + ": the storage was built with readOnlyForeignBucket(true)",
          location.value(),
          null);
    }
    String key = keyForRead(location);
    if (key == null) {
      return false;
    }
    boolean conditional = true;
    for (int attempt = 1; ; attempt++) {
      HeadObjectResponse present = head(location, key);
      if (present == null) {
        return false;
      }
      // Conditional on the version seen: if a concurrent delete removed it meanwhile, the server
      // answers 404 and this call did not delete anything; if it was replaced, try again.
      String eTag = conditional && attempt < CONDITIONAL_RETRIES ? present.eTag() : null;
      try {
        s3.deleteObject(
            r -> {
              r.bucket(bucket).key(key);
              if (eTag != null) {
                r.ifMatch(eTag);
              }
            });
        return true;
      } catch (NoSuchKeyException e) {
        return false;
      } catch (S3Exception e) {
        if (S3Errors.isMissingKey(e)) {
          return false;
        }
        if (S3Errors.isPreconditionFailed(e) || S3Errors.isConditionalConflict(e)) {
          continue;
        }
        if (e.statusCode() == 501 && eTag != null) {
          conditional = false; // a server without conditional deletes: delete plainly
          continue;
        }
        throw errors.failure("DeleteObject", location, e);
      } catch (SdkException e) {
        throw errors.failure("DeleteObject", location, e);
      }
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) throws IOException {
    return listObjects(prefix, "");
  }

  /** Paged {@code ListObjectsV2}, the first page with {@code StartAfter}: the server skips what sorts before it. */
  @Override
  protected Stream<String> listObjects(String prefix, String startAfter) throws IOException {
    return S3Listing.of(s3, bucket, root, prefix, startAfter, listPageSize, errors, toString());
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    try {
      return new URI("s3", bucket, "/" + root + location.value(), null);
    } catch (URISyntaxException e) {
      throw new IOException("cannot form an s3 URI for bucket " + quote(bucket), e);
    }
  }

  @Override
  protected void closeStorage() throws IOException {
    workers.shutdown();
    try {
      if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (ownsClient) {
        s3.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // For PartUpload

  S3Client client() {
    return s3;
  }

  S3Errors errors() {
    return errors;
  }

  S3Upload upload() {
    return upload;
  }

  ExecutorService workers() {
    return workers;
  }

  int uploadConcurrency() {
    return uploadConcurrency;
  }

  /** Whether the client adds checksums to request bodies (anything but WHEN_REQUIRED). */
  boolean partChecksums() {
    return s3.serviceClientConfiguration().requestChecksumCalculation()
        != RequestChecksumCalculation.WHEN_REQUIRED;
  }

  String tempKey() {
    return root + TEMP_FOLDER + UUID.randomUUID();
  }

  // ---------------------------------------------------------------------------------------------
  // Keys, errors

  private String keyForWrite(Location location) {
    String key = root + location.value();
    if (utf8Length(key) > MAX_KEY_BYTES) {
      throw new InvalidLocationException(
          location.value(),
          this + " takes locations of at most " + (MAX_KEY_BYTES - utf8Length(root)) + " UTF-8 bytes"
              + " under its root prefix: with it, this one's key is " + utf8Length(key)
              + " bytes, over S3's limit of " + MAX_KEY_BYTES,
          "L1");
    }
    return key;
  }

  /** The key, or null if it is too long to exist on S3. */
  private String keyForRead(Location location) {
    String key = root + location.value();
    return utf8Length(key) > MAX_KEY_BYTES ? null : key;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Quotes a string for a message: the core's {@link Location#quote}. */
  static String quote(String s) {
    return Location.quote(s);
  }

  static String base64OfHex(String hex) {
    try {
      return Base64.getEncoder().encodeToString(Hex.decodeHex(hex));
    } catch (org.apache.commons.codec.DecoderException e) {
      throw new IllegalArgumentException("not hex: " + hex, e);
    }
  }

  private static final class WorkerThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();
    private final String bucket;

    WorkerThreads(String bucket) {
      this.bucket = bucket;
    }

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "stowage-s3-" + bucket + "-upload-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration

  /**
   * How the SDK adds and checks checksums beyond the {@code Content-MD5} that S3Storage sends
   * with every {@code PutObject} and every part of a file or an array.
   */
  public enum ChecksumMode {
    /**
     * The SDK's default: a CRC checksum on every upload that supports one (sent as a trailer of an
     * {@code aws-chunked} body) and validation of checksums in responses where offered. For AWS
     * S3 and recent servers.
     */
    SDK_DEFAULT,
    /**
     * Checksums only where an operation requires one ({@code requestChecksumCalculation} and
     * {@code responseChecksumValidation} {@code WHEN_REQUIRED}), and plain bodies on every scheme:
     * the SDK's chunked encoding is turned off too ({@code S3Configuration
     * chunkedEncodingEnabled(false)}), without which the SDK frames bodies as {@code aws-chunked}
     * over {@code http://} whatever the checksum setting. For servers that refuse {@code
     * aws-chunked} uploads or trailing checksums (older MinIO, Ceph, some gateways), or store the
     * framing as the object's bytes (s3rver 3.7.1, over {@code http://} and {@code https://}
     * alike: the SDK's default sends its CRC32 as a trailer of an {@code aws-chunked} body on
     * both). Uploads still carry {@code
     * Content-MD5}, the parts of a stream too.
     */
    WHEN_REQUIRED
  }

  /**
   * Configures an {@link S3Storage}. Only {@link #bucket} is required. Either give an {@link
   * #client S3Client} of your own, or let the builder make one from the connection options
   * (region, endpoint, credentials, timeouts, retries, checksums); not both.
   */
  public static final class Builder {
    private String bucket;
    private String root = "";
    private long partSize = DEFAULT_PART_SIZE;
    private int uploadConcurrency = DEFAULT_UPLOAD_CONCURRENCY;
    private int listPageSize = DEFAULT_LIST_PAGE_SIZE;
    private boolean readOnlyForeignBucket;

    private S3Client client;
    private String region;
    private URI endpointOverride;
    private Boolean pathStyleAccess;
    private AwsCredentialsProvider credentialsProvider;
    private Duration apiCallTimeout;
    private Duration apiCallAttemptTimeout;
    private Duration connectionTimeout;
    private Duration socketTimeout;
    private RetryStrategy retryStrategy;
    private Integer maxAttempts;
    private ChecksumMode checksumMode;
    private S3ServerFeatures serverFeatures;

    private Builder() {}

    /**
     * The bucket (required). It must exist; the storage never creates or deletes buckets.
     *
     * @param bucket the bucket's name, not empty and without {@code /}
     * @return this builder
     * @throws NullPointerException if {@code bucket} is null
     * @throws IllegalArgumentException if {@code bucket} is empty or contains {@code /}
     */
    public Builder bucket(String bucket) {
      Objects.requireNonNull(bucket, "bucket");
      if (bucket.isEmpty() || bucket.contains("/")) {
        throw new IllegalArgumentException("not a bucket name: " + quote(bucket));
      }
      this.bucket = bucket;
      return this;
    }

    /**
     * A key prefix that acts as the storage's root: location {@code a/b} is key {@code
     * prefix/a/b}. Empty (the default) for the whole bucket. A trailing {@code /} is optional; the
     * prefix follows the listing prefix rules (L5), so it has no leading {@code /}, no empty,
     * {@code .} or {@code ..} segment, and no segment starting with {@code .stowage}.
     *
     * @param prefix the root prefix, empty or a listing prefix per rule L5, with or without a
     *     trailing {@code /}
     * @return this builder
     * @throws NullPointerException if {@code prefix} is null
     * @throws IllegalArgumentException if {@code prefix} breaks rule L5; the message names the rule
     */
    public Builder prefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      if (!prefix.isEmpty()) {
        try {
          Location.checkPrefix(prefix);
        } catch (ExternalResourceException e) {
          throw new IllegalArgumentException("invalid root prefix: " + e.getMessage(), e);
        }
        if (!prefix.endsWith("/")) {
          prefix = prefix + "/";
        }
      }
      this.root = prefix;
      return this;
    }

    /**
     * The size of the parts of uploads in parts, from {@link #MIN_PART_SIZE} (5 MiB) to {@link
     * #MAX_PART_SIZE} (1 GiB); default {@link #DEFAULT_PART_SIZE} (8 MiB). Objects up to this size
     * are stored with one request; an upload of a stream holds at most {@code partSize *
     * uploadConcurrency} bytes in memory (files and byte arrays are sent from where they are, with
     * no buffer). A stream of unknown length can be at most 10,000 parts long; for a file or an
     * array, the part size is raised as needed to fit its known size in 10,000 parts.
     *
     * @param bytes the part size, in bytes
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is outside {@link #MIN_PART_SIZE} to {@link
     *     #MAX_PART_SIZE}
     */
    public Builder partSize(long bytes) {
      if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
        throw new IllegalArgumentException(
            "part size must be between " + MIN_PART_SIZE + " and " + MAX_PART_SIZE + " bytes, got "
                + bytes);
      }
      this.partSize = bytes;
      return this;
    }

    /**
     * How many parts of one upload are sent in parallel, 1 to 64; default 4.
     *
     * @param parts how many parts of one upload may be in flight at once
     * @return this builder
     * @throws IllegalArgumentException if {@code parts} is outside 1 to 64
     */
    public Builder uploadConcurrency(int parts) {
      if (parts < 1 || parts > 64) {
        throw new IllegalArgumentException("upload concurrency must be 1 to 64, got " + parts);
      }
      this.uploadConcurrency = parts;
      return this;
    }

    /**
     * How many keys one listing request asks for, 1 to 1000; default 1000.
     *
     * @param keys the {@code max-keys} of each listing request
     * @return this builder
     * @throws IllegalArgumentException if {@code keys} is outside 1 to 1000
     */
    public Builder listPageSize(int keys) {
      if (keys < 1 || keys > 1000) {
        throw new IllegalArgumentException("list page size must be 1 to 1000, got " + keys);
      }
      this.listPageSize = keys;
      return this;
    }

    /**
     * For reading a bucket written by other tools (default false). The storage then refuses to
     * store or delete, and an object without Stowage's MD5 record gets its metadata from its ETag
     * where the ETag is an MD5 (a single-part upload without SSE-KMS or SSE-C); for other objects,
     * {@code getMetadata} and {@code verify} throw an {@link ExternalResourceException} saying
     * that no MD5 is known (they are never downloaded to compute one). When false, an object
     * without the record is reported as changed behind the store's back (rule R3).
     *
     * @param readOnly true to read a foreign bucket, refusing every store and delete
     * @return this builder
     */
    public Builder readOnlyForeignBucket(boolean readOnly) {
      this.readOnlyForeignBucket = readOnly;
      return this;
    }

    /**
     * An S3 client of the application's to use instead of building one. Closing the storage does
     * not close it. Excludes every connection option of this builder: configure the client
     * instead.
     *
     * @param client the client to send every request through; it stays the application's, to close
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public Builder client(S3Client client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The region to sign requests for, e.g. {@code eu-west-1}. Default: the SDK's region chain
     * (environment, profile, instance metadata), or {@code us-east-1} with an {@link
     * #endpointOverride}.
     *
     * @param region the region's id, e.g. {@code eu-west-1}
     * @return this builder
     * @throws NullPointerException if {@code region} is null
     */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * The endpoint of an S3-compatible server, e.g. {@code http://127.0.0.1:9000} for MinIO.
     *
     * @param endpoint the server's base URI, with a scheme and a host and no user information
     * @return this builder
     * @throws NullPointerException if {@code endpoint} is null
     * @throws IllegalArgumentException if {@code endpoint} has no scheme or host, or carries user
     *     information (credentials go through {@link #credentialsProvider})
     */
    public Builder endpointOverride(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      if (endpoint.getScheme() == null || endpoint.getHost() == null) {
        throw new IllegalArgumentException(
            "the endpoint needs a scheme and a host: "
                + org.stowage.spi.StorageProvider.redact(endpoint.toString()));
      }
      if (endpoint.getUserInfo() != null) {
        throw new IllegalArgumentException(
            "the endpoint must not carry credentials; use credentialsProvider");
      }
      this.endpointOverride = endpoint;
      return this;
    }

    /**
     * Path-style requests ({@code http://host/bucket/key}) instead of virtual-hosted style ({@code
     * http://bucket.host/key}); needed by MinIO and most servers that are not AWS. Default false.
     *
     * @param pathStyle true for path-style requests, false for virtual-hosted style
     * @return this builder
     */
    public Builder pathStyleAccess(boolean pathStyle) {
      this.pathStyleAccess = pathStyle;
      return this;
    }

    /**
     * The credentials. Default: the SDK's default chain (environment, profile, instance role).
     *
     * @param provider where the SDK gets the credentials to sign requests with
     * @return this builder
     * @throws NullPointerException if {@code provider} is null
     */
    public Builder credentialsProvider(AwsCredentialsProvider provider) {
      this.credentialsProvider = Objects.requireNonNull(provider, "provider");
      return this;
    }

    /**
     * The longest an operation may take, all retries included. Default: no limit.
     *
     * @param timeout the limit per operation, positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder apiCallTimeout(Duration timeout) {
      this.apiCallTimeout = positive(timeout, "apiCallTimeout");
      return this;
    }

    /**
     * The longest one attempt of an operation may take. Default: no limit. It must allow one part
     * ({@link #partSize}) to upload, and the server to copy up to 512 MiB when a stream's upload in
     * parts is moved to its final key.
     *
     * @param timeout the limit per attempt, positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder apiCallAttemptTimeout(Duration timeout) {
      this.apiCallAttemptTimeout = positive(timeout, "apiCallAttemptTimeout");
      return this;
    }

    /**
     * The longest to wait for a TCP connection. Default: 10 seconds.
     *
     * @param timeout the limit on establishing a connection, positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder connectionTimeout(Duration timeout) {
      this.connectionTimeout = positive(timeout, "connectionTimeout");
      return this;
    }

    /**
     * The longest to wait for data on an open connection. Default: 60 seconds.
     *
     * @param timeout the limit on waiting for data, positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = positive(timeout, "socketTimeout");
      return this;
    }

    /**
     * The retry strategy. Default: the SDK's standard strategy (exponential backoff with jitter;
     * retries throttling, {@code 5xx} and connection errors), with {@link #maxAttempts}.
     *
     * @param strategy the SDK retry strategy to use instead of the standard one
     * @return this builder
     * @throws NullPointerException if {@code strategy} is null
     */
    public Builder retryStrategy(RetryStrategy strategy) {
      this.retryStrategy = Objects.requireNonNull(strategy, "strategy");
      return this;
    }

    /**
     * Attempts per operation with the standard retry strategy, 1 to 20; the SDK's default is 3.
     *
     * @param attempts the attempts per operation, the first one included
     * @return this builder
     * @throws IllegalArgumentException if {@code attempts} is outside 1 to 20
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > 20) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 20, got " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * What the server does, known beforehand (from an earlier {@link S3Storage#serverFeatures()},
     * or {@link S3ServerFeatures#assumedS3} for AWS): the storage then acts on these and sends no
     * probe. Default: probe once, on first need.
     *
     * @param features what the server does, as an earlier probe found or as {@link
     *     S3ServerFeatures#assumedS3} assumes
     * @return this builder
     * @throws NullPointerException if {@code features} is null
     */
    public Builder serverFeatures(S3ServerFeatures features) {
      this.serverFeatures = Objects.requireNonNull(features, "features");
      return this;
    }

    /**
     * How the SDK adds and validates checksums; default {@link ChecksumMode#SDK_DEFAULT}.
     *
     * @param mode the checksum mode
     * @return this builder
     * @throws NullPointerException if {@code mode} is null
     */
    public Builder checksumMode(ChecksumMode mode) {
      this.checksumMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Builds the storage, and its S3 client unless one was given. Sends no request.
     *
     * @return a new storage, owned by the caller, who closes it (which closes the client it built,
     *     not one it was given)
     * @throws IllegalStateException if the bucket is missing, options contradict each other, or
     *     the SDK cannot configure a client (no region can be found, for example)
     */
    public S3Storage build() {
      if (bucket == null) {
        throw new IllegalStateException("bucket is required");
      }
      warnIfHeadersAreLogged();
      if (retryStrategy != null && maxAttempts != null) {
        throw new IllegalStateException(
            "give either retryStrategy or maxAttempts, not both: set the attempts on the strategy");
      }
      if (client != null) {
        if (region != null
            || endpointOverride != null
            || pathStyleAccess != null
            || credentialsProvider != null
            || apiCallTimeout != null
            || apiCallAttemptTimeout != null
            || connectionTimeout != null
            || socketTimeout != null
            || retryStrategy != null
            || maxAttempts != null
            || checksumMode != null) {
          throw new IllegalStateException(
              "a given S3Client comes configured: connection options (region, endpoint, path"
                  + " style, credentials, timeouts, retries, checksums) cannot be added to it");
        }
        return new S3Storage(this, client, false, label(client));
      }
      S3Client built = buildClient();
      try {
        return new S3Storage(this, built, true, label(built));
      } catch (RuntimeException e) {
        built.close();
        throw e;
      }
    }

    /**
     * Logs a WARN if a logger that writes request headers is enabled at DEBUG: the HTTP client's
     * header and wire loggers write the {@code Authorization} header (the access key id and the
     * request's signature) and {@code X-Amz-Security-Token}, and the SDK's request signer writes
     * the canonical request, session token included. Never the secret key, which is not sent.
     * Stowage cannot set other libraries' log levels; it says so, every time a storage is built in
     * that state. See {@code docs/s3.md}, "Credentials and logs".
     */
    private static void warnIfHeadersAreLogged() {
      java.util.List<String> logging = new java.util.ArrayList<>();
      for (String name : HEADER_LOGGERS) {
        if (LoggerFactory.getLogger(name).isDebugEnabled()) {
          logging.add(name);
        }
      }
      if (!logging.isEmpty()) {
        Log.LOG.warn(
            "the loggers {} are enabled at DEBUG: they write every S3 request's headers, with the"
                + " access key id, the request signatures and any session token (never the secret"
                + " key); set them to INFO or above wherever logs are kept",
            logging);
      }
    }

    private S3Client buildClient() {
      Apache5HttpClient.Builder http =
          Apache5HttpClient.builder()
              .connectionTimeout(connectionTimeout == null ? Duration.ofSeconds(10) : connectionTimeout)
              .socketTimeout(socketTimeout == null ? Duration.ofSeconds(60) : socketTimeout)
              .maxConnections(Math.max(50, 4 * uploadConcurrency));
      ClientOverrideConfiguration.Builder override = ClientOverrideConfiguration.builder();
      if (apiCallTimeout != null) {
        override.apiCallTimeout(apiCallTimeout);
      }
      if (apiCallAttemptTimeout != null) {
        override.apiCallAttemptTimeout(apiCallAttemptTimeout);
      }
      if (retryStrategy != null) {
        override.retryStrategy(retryStrategy);
      } else if (maxAttempts != null) {
        override.retryStrategy(
            AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).build());
      } else {
        override.retryStrategy(AwsRetryStrategy.standardRetryStrategy());
      }
      S3ClientBuilder b =
          S3Client.builder()
              .httpClientBuilder(http)
              .overrideConfiguration(override.build())
              .credentialsProvider(
                  credentialsProvider != null
                      ? credentialsProvider
                      : DefaultCredentialsProvider.builder().build());
      if (region != null) {
        b.region(Region.of(region));
      } else if (endpointOverride != null) {
        b.region(Region.US_EAST_1);
      }
      if (endpointOverride != null) {
        b.endpointOverride(endpointOverride);
      }
      if (pathStyleAccess != null) {
        b.forcePathStyle(pathStyleAccess);
      }
      if (checksumMode == ChecksumMode.WHEN_REQUIRED) {
        b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
        b.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        // Over http:// the SDK signs bodies in aws-chunked framing (STREAMING-AWS4-HMAC-SHA256-
        // PAYLOAD) whatever the checksum setting; this sends them plain, signed whole.
        b.serviceConfiguration(
            software.amazon.awssdk.services.s3.S3Configuration.builder()
                .chunkedEncodingEnabled(false)
                .build());
      }
      try {
        return b.build();
      } catch (SdkClientException e) {
        throw new IllegalStateException(
            "cannot configure an S3 client for bucket " + quote(bucket) + ": " + e.getMessage(), e);
      }
    }

    private static String label(S3Client client) {
      S3ServiceClientConfiguration c = client.serviceClientConfiguration();
      URI endpoint = c.endpointOverride().orElse(null);
      if (endpoint != null) {
        return endpoint.toString();
      }
      Region r = c.region();
      return "AWS " + (r == null ? "(default region)" : r.id());
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
