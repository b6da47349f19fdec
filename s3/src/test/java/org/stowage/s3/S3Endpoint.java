package org.stowage.s3;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * An S3 endpoint that tests talk to: where it is, its credentials, and a bucket on it that tests
 * share (each test works under a fresh random prefix, or in a fresh bucket).
 *
 * @param uri the endpoint, for example {@code http://127.0.0.1:43127}
 * @param region the region to sign for
 * @param accessKey the access key id
 * @param secretKey the secret access key; tests check that it never appears in messages
 * @param bucket the shared bucket
 * @param kind {@code s3proxy}, {@code minio} or {@code external}, for messages
 */
record S3Endpoint(
    URI uri, String region, String accessKey, String secretKey, String bucket, String kind) {

  /**
   * What the probe finds on s3proxy as the tests run it (every feature; {@code
   * S3ServerProbeTest.s3proxyAsTested} checks it): given to the storages of tests that count
   * requests or inject faults by connection, so that no probe adds requests of its own.
   */
  static final S3ServerFeatures TESTED_S3PROXY =
      S3ServerFeatures.assumedS3("s3proxy as the tests run it (S3ServerProbeTest checks it)");

  /**
   * A builder for a storage on this endpoint's shared bucket, under {@code prefix}. On s3proxy
   * it acts on {@link #TESTED_S3PROXY}; on any other server it probes the server itself.
   */
  S3Storage.Builder storage(String prefix) {
    S3Storage.Builder b = probingStorage(prefix);
    return kind.equals("s3proxy") ? b.serverFeatures(TESTED_S3PROXY) : b;
  }

  /** As {@link #storage}, always probing the server on first need. */
  S3Storage.Builder probingStorage(String prefix) {
    S3Storage.Builder b = S3Storage.builder();
    if (kind.equals("external")) {
      S3TestEnvironment.externalChecksumMode().ifPresent(b::checksumMode);
    }
    return b
        .bucket(bucket)
        .prefix(prefix)
        .region(region)
        .endpointOverride(uri)
        .pathStyleAccess(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
        .apiCallTimeout(Duration.ofSeconds(60));
  }

  /** A builder for a storage on this endpoint's shared bucket, under a fresh random prefix. */
  S3Storage.Builder freshStorage() {
    return storage(freshPrefix());
  }

  static String freshPrefix() {
    return "t-" + UUID.randomUUID();
  }

  /**
   * A raw client, for doing things behind a storage's back: no checksums, plain bodies on every
   * scheme (no {@code aws-chunked} framing, which some servers store as the object's bytes: s3rver
   * did over {@code http://}, so a corrupted object changed size). The caller closes it.
   */
  S3Client client() {
    return clientBuilder()
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .serviceConfiguration(
            software.amazon.awssdk.services.s3.S3Configuration.builder()
                .chunkedEncodingEnabled(false)
                .build())
        .build();
  }

  /**
   * A client with the SDK's defaults (checksums included), as {@link S3Storage} builds one, that
   * runs {@code interceptor} on every request: for tests that watch what a storage sends. The
   * caller closes it.
   */
  S3Client clientWith(software.amazon.awssdk.core.interceptor.ExecutionInterceptor interceptor) {
    return clientBuilder().overrideConfiguration(o -> o.addExecutionInterceptor(interceptor)).build();
  }

  /** A client builder for this endpoint and its credentials, on the Apache 5 HTTP client. */
  private software.amazon.awssdk.services.s3.S3ClientBuilder clientBuilder() {
    return S3Client.builder()
        .endpointOverride(uri)
        .region(Region.of(region))
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
        .httpClientBuilder(Apache5HttpClient.builder());
  }

  /** The same server, with another bucket (created if missing). */
  S3Endpoint withBucket(String otherBucket) {
    S3Endpoint e = new S3Endpoint(uri, region, accessKey, secretKey, otherBucket, kind);
    e.createBucketIfMissing();
    return e;
  }

  void createBucketIfMissing() {
    try (S3Client s3 = client()) {
      try {
        s3.headBucket(b -> b.bucket(bucket));
      } catch (NoSuchBucketException e) {
        try {
          s3.createBucket(b -> b.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException raced) {
          // created meanwhile: fine
        }
      }
    }
  }
}
