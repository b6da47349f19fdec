package org.stowage.s3;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
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
 * Test-server fix: conditional deletes ({@code DeleteObject} with {@code If-Match}) that tell, as
 * AWS S3's do, whether they deleted anything.
 *
 * <p>s3proxy 4.1.0 checks {@code If-Match} itself ({@code S3ProxyHandler.conditionalDelete}): it
 * reads the object's metadata, answers 412 on another ETag, and otherwise removes the key without
 * passing the header on. A key that is missing, or that another request removed or replaced in
 * between, still gets a success ({@code S3ServerBehaviourTest} shows it). So two concurrent
 * deletes of one object both report a deletion, and the contract suite's linearizability check
 * (rule D1 under T1) fails against it; AWS S3 answers 404 or 412 there.
 *
 * <p>Inside that check only (recognised by its caller on the stack), this wrapper remembers the
 * ETag the check saw, then removes the key under a lock that every write also takes, answering 404
 * if the key is gone and 412 if its ETag is no longer the one checked. Unconditional deletes are
 * unchanged. A test server only: one lock for all keys.
 */
final class ConditionalDeleteBlobStore extends ForwardingBlobStore {
  private static final StackWalker STACK = StackWalker.getInstance();

  private final ReentrantLock lock = new ReentrantLock();
  /** Per request thread: "bucket/key" to the ETag its conditional delete's check saw. */
  private final ThreadLocal<Map<String, String>> checked = ThreadLocal.withInitial(HashMap::new);

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
    if (inConditionalDelete()) {
      if (response == null) {
        throw S3Exceptions.noSuchKey(request.bucket(), request.key(), null);
      }
      checked.get().put(request.bucket() + "/" + request.key(), response.eTag());
    }
    return response;
  }

  @Override
  public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
    if (!inConditionalDelete()) {
      return delegate().removeBlob(request);
    }
    String eTag = checked.get().remove(request.bucket() + "/" + request.key());
    lock.lock();
    try {
      HeadObjectResponse present = delegate().blobMetadataIfPresent(
          HeadObjectRequest.builder().bucket(request.bucket()).key(request.key()).build());
      if (present == null) {
        throw S3Exceptions.noSuchKey(request.bucket(), request.key(), null);
      }
      if (eTag != null && !sameETag(present.eTag(), eTag)) {
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

  private static boolean inConditionalDelete() {
    return STACK.walk(frames -> frames.anyMatch(
        f -> f.getMethodName().equals("conditionalDelete")
            && f.getClassName().equals("org.gaul.s3proxy.S3ProxyHandler")));
  }

  private static boolean sameETag(String a, String b) {
    return a != null && strip(a).equals(strip(b));
  }

  private static String strip(String eTag) {
    return eTag.startsWith("\"") && eTag.endsWith("\"") && eTag.length() > 1
        ? eTag.substring(1, eTag.length() - 1) : eTag;
  }
}
