package org.stowage.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.stowage.Location;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Test server: s3proxy made to behave as the S3 servers in the wild that issue 14 met (s3rver,
 * S3Mock), one {@link Deviation} at a time, so that each finding has a test in this JVM.
 *
 * <p>s3proxy 4.1.0 hands {@code If-None-Match} and {@code Content-MD5} of a {@code PutObject} (and
 * {@code Content-MD5} of an {@code UploadPart}) on to its blob store, which checks them; this
 * wrapper drops them before the check, alters bodies on their way to the store, or answers as the
 * deviant servers do.
 */
final class DeviantBlobStore extends ForwardingBlobStore {
  /** What the server does wrong. */
  enum Deviation {
    /** {@code If-None-Match: *} on PutObject is ignored: CREATE is never refused (s3rver). */
    IGNORE_IF_NONE_MATCH,
    /** {@code Content-MD5} is not checked, on PutObject and UploadPart (s3rver). */
    IGNORE_CONTENT_MD5,
    /**
     * The stored body is not the body sent: its first byte is changed (s3rver over plain HTTP
     * keeps the aws-chunked framing). Content-MD5 is then not checked either; the ETag is the MD5
     * of the bytes stored.
     */
    MISSTORE_BODY,
    /** UploadPartCopy answers {@code 501 NotImplemented} (s3rver). */
    NO_UPLOAD_PART_COPY,
    /** A wrong Content-MD5 is refused with {@code 400 BadRequest}, not {@code BadDigest} (S3Mock). */
    BAD_REQUEST_FOR_BAD_DIGEST,
    /**
     * A {@code GetObject} is answered with the ETag and user metadata of the version that a
     * {@code PutObject} replaced, and the bytes (and length) of the current one: what s3proxy
     * 4.1.0's nio2 stores answer when a PUT lands inside a GET ({@code S3TornGetTest}), here on
     * every GET of a key that has been replaced. HEAD answers are left as they are.
     */
    TORN_GET,
    /** AbortMultipartUpload answers {@code 405 MethodNotAllowed} (s3rver 3.7.1 has no such route). */
    NO_ABORT,
    /**
     * Listings in the order of file names {@code <key>._S3rver_object} (s3rver 3.7.1): {@code
     * "a-b"} before {@code "a"}. Each page is re-sorted; test listings fit one page.
     */
    FILE_NAME_ORDER
  }

  private final Set<Deviation> deviations;
  /** For {@link Deviation#TORN_GET}: per "bucket/key", the headers of the version replaced. */
  private final Map<String, HeadObjectResponse> replaced = new ConcurrentHashMap<>();

  DeviantBlobStore(BlobStore delegate, Deviation first, Deviation... more) {
    super(delegate);
    this.deviations = EnumSet.of(first, more);
  }

  private boolean has(Deviation d) {
    return deviations.contains(d);
  }

  private boolean ignoresMd5() {
    return has(Deviation.IGNORE_CONTENT_MD5) || has(Deviation.MISSTORE_BODY);
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
    if (has(Deviation.BAD_REQUEST_FOR_BAD_DIGEST) && request.contentMD5() != null) {
      content = checkedAsBadRequest(request.contentMD5(), content);
    }
    PutObjectRequest.Builder b = request.toBuilder();
    if (has(Deviation.IGNORE_IF_NONE_MATCH)) {
      b.ifNoneMatch(null);
    }
    if (ignoresMd5()) {
      b.contentMD5(null);
    }
    InputStream body = has(Deviation.MISSTORE_BODY) ? new FirstByteChanged(content) : content;
    if (has(Deviation.TORN_GET)) {
      HeadObjectResponse before = delegate().blobMetadataIfPresent(
          HeadObjectRequest.builder().bucket(request.bucket()).key(request.key()).build());
      if (before != null) {
        replaced.put(request.bucket() + "/" + request.key(), before);
      }
    }
    try {
      return delegate().putBlob(b.build(), body);
    } catch (S3Exception e) {
      throw asBadRequest(e);
    }
  }

  @Override
  public UploadPartResponse uploadMultipartPart(
      MultipartUpload upload, UploadPartRequest request, InputStream content) {
    if (has(Deviation.BAD_REQUEST_FOR_BAD_DIGEST) && request.contentMD5() != null) {
      content = checkedAsBadRequest(request.contentMD5(), content);
    }
    UploadPartRequest r = ignoresMd5() ? request.toBuilder().contentMD5(null).build() : request;
    InputStream body = has(Deviation.MISSTORE_BODY) ? new FirstByteChanged(content) : content;
    try {
      return delegate().uploadMultipartPart(upload, r, body);
    } catch (S3Exception e) {
      throw asBadRequest(e);
    }
  }

  @Override
  public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
    ResponseInputStream<GetObjectResponse> in = delegate().getBlob(request);
    HeadObjectResponse before =
        in == null || !has(Deviation.TORN_GET) ? null : replaced.get(request.bucket() + "/" + request.key());
    if (before == null) {
      return in;
    }
    GetObjectResponse torn =
        in.response().toBuilder().eTag(before.eTag()).metadata(before.metadata()).build();
    return new ResponseInputStream<>(torn, AbortableInputStream.create(in));
  }

  @Override
  public void abortMultipartUpload(MultipartUpload upload) {
    if (has(Deviation.NO_ABORT)) {
      throw error(405, "MethodNotAllowed", "The specified method is not allowed against this"
          + " resource.");
    }
    delegate().abortMultipartUpload(upload);
  }

  @Override
  public ListObjectsV2Response list(ListObjectsV2Request request) {
    ListObjectsV2Response r = delegate().list(request);
    if (!has(Deviation.FILE_NAME_ORDER)) {
      return r;
    }
    List<S3Object> page = new ArrayList<>(r.contents());
    page.sort(Comparator.comparing(o -> o.key() + "._S3rver_object", Location.UTF8_ORDER));
    return r.toBuilder().contents(page).build();
  }

  @Override
  public boolean supportsCopyMultipartPart() {
    return has(Deviation.NO_UPLOAD_PART_COPY) || delegate().supportsCopyMultipartPart();
  }

  @Override
  public UploadPartCopyResponse copyMultipartPart(
      MultipartUpload upload, UploadPartCopyRequest request) {
    if (has(Deviation.NO_UPLOAD_PART_COPY)) {
      throw error(501, "NotImplemented", "A header you provided implies functionality that is not"
          + " implemented");
    }
    return delegate().copyMultipartPart(upload, request);
  }

  /**
   * Checks the body against its Content-MD5 first, as S3Mock does, and refuses a mismatch with
   * 400 BadRequest; the body is read into memory (test objects are small).
   */
  private static InputStream checkedAsBadRequest(String contentMd5, InputStream content) {
    byte[] body;
    try {
      body = content.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String md5 = java.util.Base64.getEncoder().encodeToString(
        java.util.HexFormat.of().parseHex(S3ServerProbe.md5(body)));
    if (!md5.equals(contentMd5)) {
      throw error(400, "BadRequest", "Bad Request");
    }
    return new java.io.ByteArrayInputStream(body);
  }

  private S3Exception asBadRequest(S3Exception e) {
    if (has(Deviation.BAD_REQUEST_FOR_BAD_DIGEST)
        && e.statusCode() == 400
        && e.awsErrorDetails() != null
        && "BadDigest".equals(e.awsErrorDetails().errorCode())) {
      return error(400, "BadRequest", "Bad Request");
    }
    return e;
  }

  private static S3Exception error(int status, String code, String message) {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(status)
            .message(message)
            .awsErrorDetails(
                AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
            .build();
  }

  /** The stream with its first byte changed, as a server that stores other bytes than it got. */
  private static final class FirstByteChanged extends FilterInputStream {
    private boolean first = true;

    FirstByteChanged(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0 && first) {
        first = false;
        return b ^ 0x5a;
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0 && first) {
        first = false;
        buf[off] ^= 0x5a;
      }
      return n;
    }
  }
}
