package org.stowage.benchmarks;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.stowage.s3.S3Storage;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An s3proxy server in this JVM on 127.0.0.1, over blobs kept in files under a directory (off the
 * heap), with one bucket, and one SDK client for it.
 *
 * <p>Stowage and the bare-SDK baselines use {@linkplain #client() the same client}: the SDK's
 * defaults (checksums included) on its Apache 5 HTTP client with the connection pool S3Storage
 * builds for itself; {@link #storage(long)} hands that client to an {@link S3Storage}. So any
 * difference between the two sides is Stowage's own work.
 */
final class S3Server implements AutoCloseable {
  static final String BUCKET = "bench";
  private static final String ACCESS_KEY = "stowage-bench-access";
  private static final String SECRET_KEY = "stowage-bench-secret-0123456789";

  private final BlobStore blobs;
  private final S3Proxy proxy;
  private final S3Client client;

  private S3Server(BlobStore blobs, S3Proxy proxy, S3Client client) {
    this.blobs = blobs;
    this.proxy = proxy;
    this.client = client;
  }

  /**
   * A part size that puts an object of {@code objectBytes} into one part: its size rounded up to
   * a whole MiB, and at least S3's smallest part.
   */
  static long onePartSize(long objectBytes) {
    return Math.max(S3Storage.MIN_PART_SIZE, (objectBytes + (1 << 20) - 1) >> 20 << 20);
  }

  /** Starts a server over files in {@code dir}, on a free port, and creates the bucket. */
  static S3Server start(Path dir) throws Exception {
    BlobStore blobs = new FilesystemNio2BlobStore(Files.createDirectories(dir).toString());
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobs)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .ignoreUnknownHeaders(true)
            .stopTimeout(0)
            .jettyMaxThreads(32)
            .build();
    proxy.start();
    S3Client client =
        S3Client.builder()
            .endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .httpClientBuilder(
                Apache5HttpClient.builder()
                    .maxConnections(Math.max(50, 4 * S3Storage.DEFAULT_UPLOAD_CONCURRENCY)))
            .build();
    client.createBucket(b -> b.bucket(BUCKET));
    return new S3Server(blobs, proxy, client);
  }

  /** The shared client. */
  S3Client client() {
    return client;
  }

  /**
   * A storage on the bucket, under {@code prefix}, with the shared client and {@code partSize}
   * (the default part size is {@link S3Storage#DEFAULT_PART_SIZE}).
   */
  S3Storage storage(String prefix, long partSize) {
    return S3Storage.builder().bucket(BUCKET).prefix(prefix).client(client).partSize(partSize).build();
  }

  @Override
  public void close() throws Exception {
    try {
      client.close();
      proxy.stop();
    } finally {
      blobs.close();
    }
  }
}
