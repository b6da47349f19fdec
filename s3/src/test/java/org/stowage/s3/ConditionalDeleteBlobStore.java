package org.stowage.s3;

import java.io.InputStream;
import java.util.concurrent.locks.ReentrantLock;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Test-server fix: conditional deletes as AWS S3 does them.
 *
 * <p>s3proxy 4.1.0 answers a {@code DeleteObject} with {@code If-Match} as if it were plain: it
 * deletes whatever is there, and answers success for a key that is already gone. AWS answers 404
 * for a missing key and 412 for another ETag, which is what lets {@link S3Storage#deleteIfExists}
 * say exactly whether it deleted (rule D1) when two deletes race. Without this wrapper, the
 * contract suite's linearizability check finds two deletes both claiming one object.
 *
 * <p>s3proxy checks {@code If-Match} itself before it calls {@link #removeBlob}, and passes the
 * request on without the header: its check and its delete are two steps, and a missing key
 * passes the check. So this wrapper remembers, per request thread, the ETag the last metadata
 * lookup of a key saw (s3proxy's check is such a lookup, on the thread that then deletes), and
 * in {@code removeBlob}, under one lock that every write also takes, it answers 404 if the key is
 * gone and 412 if its ETag is no longer the one checked. A delete of a missing key thus answers
 * 404 even without {@code If-Match}, which AWS answers 204; {@link S3Storage} only ever deletes
 * objects conditionally, and its cleanup of temporary objects takes 404 as "already gone". A test
 * server only: one lock for all keys.
 */
final class ConditionalDeleteBlobStore extends ForwardingBlobStore {
  private final ReentrantLock lock = new ReentrantLock();
  /** Per request thread: "bucket/key" to the ETag its last metadata lookup saw. */
  private final ThreadLocal<java.util.Map<String, String>> seen =
      ThreadLocal.withInitial(java.util.HashMap::new);

  ConditionalDeleteBlobStore(BlobStore delegate) {
    super(delegate);
  }

  @Override
  public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
    return remember(request, delegate().blobMetadata(request));
  }

  @Override
  public HeadObjectResponse blobMetadataIfPresent(HeadObjectRequest request) {
    return remember(request, delegate().blobMetadataIfPresent(request));
  }

  private HeadObjectResponse remember(HeadObjectRequest request, HeadObjectResponse response) {
    String id = request.bucket() + "/" + request.key();
    if (response == null) {
      seen.get().remove(id);
    } else {
      seen.get().put(id, response.eTag());
    }
    return response;
  }

  @Override
  public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
    String checked = request.ifMatch() != null
        ? request.ifMatch()
        : seen.get().remove(request.bucket() + "/" + request.key());
    lock.lock();
    try {
      HeadObjectResponse present = delegate().blobMetadataIfPresent(
          HeadObjectRequest.builder().bucket(request.bucket()).key(request.key()).build());
      if (present == null) {
        throw S3Exceptions.noSuchKey(request.bucket(), request.key(), null);
      }
      if (checked != null && !sameETag(present.eTag(), checked)) {
        throw S3Exceptions.preconditionFailed(null);
      }
      return delegate().removeBlob(request);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
    lock.lock();
    try {
      return delegate().putBlob(request, content);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public CopyObjectResponse copyBlob(CopyObjectRequest request) {
    lock.lock();
    try {
      return delegate().copyBlob(request);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public CompleteMultipartUploadResponse completeMultipartUpload(
      MultipartUpload upload, CompleteMultipartUploadRequest request) {
    lock.lock();
    try {
      return delegate().completeMultipartUpload(upload, request);
    } finally {
      lock.unlock();
    }
  }

  private static boolean sameETag(String a, String b) {
    return a != null && strip(a).equals(strip(b));
  }

  private static String strip(String eTag) {
    return eTag.startsWith("\"") && eTag.endsWith("\"") && eTag.length() > 1
        ? eTag.substring(1, eTag.length() - 1) : eTag;
  }
}
