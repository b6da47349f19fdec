package org.stowage.s3;

import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Test-server fix: makes s3proxy's conditional deletes ({@code DeleteObject} with {@code
 * If-Match}) tell, as AWS S3's do, whether they deleted anything.
 *
 * <p>s3proxy 4.1.0 checks {@code If-Match} for its nio2 stores itself: it reads the object's
 * metadata, answers 412 on another ETag, and otherwise removes the key; a key that is missing, or
 * that a concurrent delete removed in between, gets a success ({@code S3ServerBehaviourTest} shows
 * it). So two concurrent deletes of one object both report a deletion, and S3Storage's delete
 * (rule D1, and the linearizability the contract suite checks through two instances) cannot be
 * right against it. AWS S3 answers such a delete with 404. This wrapper, inside that check only
 * (recognised by its caller, {@code S3ProxyHandler.conditionalDelete}), makes a missing key fail
 * the condition (412, after which S3Storage looks again and finds nothing) and removes keys one at
 * a time, failing the condition too if the key went away meanwhile: of concurrent conditional
 * deletes exactly one removes the object. Unconditional deletes are unchanged.
 */
final class ConditionalDeleteBlobStore extends ForwardingBlobStore {
  private static final StackWalker STACK = StackWalker.getInstance();
  private final Object removals = new Object();

  ConditionalDeleteBlobStore(BlobStore delegate) {
    super(delegate);
  }

  @Override
  public HeadObjectResponse blobMetadataIfPresent(HeadObjectRequest request) {
    HeadObjectResponse present = delegate().blobMetadataIfPresent(request);
    if (present == null && inConditionalDelete()) {
      throw preconditionFailed();
    }
    return present;
  }

  @Override
  public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
    if (!inConditionalDelete()) {
      return delegate().removeBlob(request);
    }
    synchronized (removals) {
      if (!delegate().blobExists(request.bucket(), request.key())) {
        throw preconditionFailed();
      }
      return delegate().removeBlob(request);
    }
  }

  private static boolean inConditionalDelete() {
    return STACK.walk(
        frames ->
            frames.anyMatch(
                f -> f.getMethodName().equals("conditionalDelete")
                    && f.getClassName().equals("org.gaul.s3proxy.S3ProxyHandler")));
  }

  private static S3Exception preconditionFailed() {
    return (S3Exception)
        S3Exception.builder()
            .statusCode(412)
            .message("At least one of the pre-conditions you specified did not hold")
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode("PreconditionFailed")
                    .errorMessage("At least one of the pre-conditions you specified did not hold")
                    .build())
            .build();
  }
}
