package org.stowage.s3;

import java.io.InterruptedIOException;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * How an {@link S3Storage} reads S3's errors and reports its own: the SDK's exceptions mapped to
 * {@link ExternalResourceException}s that name the storage, the request and the location (rule T2),
 * with a hint where the cause is a common mistake (credentials, region, bucket); and the answers
 * of S3 that the storage acts on (precondition failed, a conditional conflict, a bad digest, a
 * missing key as opposed to a missing bucket).
 */
final class S3Errors {
  /** Requests made for one answer that keeps arriving incomplete, or contradicting its record. */
  static final int INCOMPLETE_ATTEMPTS = 3;

  private final String storageName;
  private final String bucket;
  private final String endpointLabel;

  /**
   * @param storageName names the storage in messages (its {@code toString()})
   * @param bucket the bucket, for messages
   * @param endpointLabel where the server is, for messages
   */
  S3Errors(String storageName, String bucket, String endpointLabel) {
    this.storageName = storageName;
    this.bucket = bucket;
    this.endpointLabel = endpointLabel;
  }

  /** An error of an S3 request, naming the storage, the request and the location (may be null). */
  ExternalResourceException failure(String operation, Location location, SdkException e) {
    if (e instanceof S3Exception && "NoSuchBucket".equals(errorCode((S3Exception) e))) {
      return noSuchBucket(operation, location, (S3Exception) e);
    }
    return new ExternalResourceException(
        storageName + ": " + operation + where(location) + " failed: " + describe(e),
        location == null ? null : location.value(),
        e);
  }

  /** The bucket itself is missing: a misconfiguration, never an empty store. */
  ExternalResourceException noSuchBucket(String operation, Location location, S3Exception e) {
    return new ExternalResourceException(
        storageName + ": " + operation + where(location) + " failed: the bucket "
            + Location.quote(bucket) + " does not exist at " + endpointLabel + " (" + describe(e) + ")",
        location == null ? null : location.value(),
        e);
  }

  /** An answer that stayed incomplete over {@link #INCOMPLETE_ATTEMPTS} requests. */
  ExternalResourceException incomplete(String operation, Location location, String what) {
    return new ExternalResourceException(
        storageName + ": " + operation + where(location) + " failed: the server's answer was"
            + " incomplete in " + INCOMPLETE_ATTEMPTS + " attempts (" + what + "): the connection"
            + " was cut short, or the server is not S3-compatible",
        location == null ? null : location.value(),
        null);
  }

  private static String where(Location location) {
    return location == null ? "" : " of " + Location.quote(location.value());
  }

  private String describe(SdkException e) {
    if (e instanceof S3Exception) {
      S3Exception s = (S3Exception) e;
      String code = errorCode(s);
      String hint = "";
      if (s.statusCode() == 403) {
        hint = "; access denied: check the credentials and their permissions on the bucket";
      } else if (s.statusCode() == 301 || "PermanentRedirect".equals(code)) {
        hint = "; the bucket is in another region than the one configured";
      }
      return "HTTP " + s.statusCode() + (code == null ? "" : " " + code) + ": "
          + s.getMessage() + hint;
    }
    if (e instanceof SdkClientException) {
      return "the request to " + endpointLabel + " did not complete: " + e.getMessage();
    }
    return e.toString();
  }

  /** 412: a conditional request's condition did not hold. */
  static boolean isPreconditionFailed(S3Exception e) {
    return e.statusCode() == 412;
  }

  /** 409 ConditionalRequestConflict: a concurrent conditional write was in flight; ask again. */
  static boolean isConditionalConflict(S3Exception e) {
    return e.statusCode() == 409 && "ConditionalRequestConflict".equals(errorCode(e));
  }

  /** 400 BadDigest: the body does not match its {@code Content-MD5}. */
  static boolean isBadDigest(S3Exception e) {
    return e.statusCode() == 400 && "BadDigest".equals(errorCode(e));
  }

  /** 404 for the key, not for the bucket. */
  static boolean isMissingKey(S3Exception e) {
    return e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e));
  }

  static String errorCode(S3Exception e) {
    AwsErrorDetails d = e.awsErrorDetails();
    return d == null ? null : d.errorCode();
  }

  /** An interrupt while parts were uploaded, as an {@link InterruptedIOException}; keeps the flag. */
  static InterruptedIOException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    InterruptedIOException x = new InterruptedIOException("interrupted while uploading parts");
    x.initCause(e);
    return x;
  }
}
