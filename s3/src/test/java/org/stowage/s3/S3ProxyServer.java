package org.stowage.s3;

import java.net.URI;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/**
 * An s3proxy server in this JVM, on 127.0.0.1, over a blob store that outlives it: it can be
 * stopped (to simulate a server that goes away mid-request) and started again on the same port over
 * the same blobs.
 */
final class S3ProxyServer implements AutoCloseable {
  static final String ACCESS_KEY = "stowage-test-access";
  static final String SECRET_KEY = "stowage-test-secret-0123456789";
  static final String REGION = "us-east-1";

  private final BlobStore blobStore;
  private S3Proxy proxy;
  private int port;

  private S3ProxyServer(BlobStore blobStore) {
    this.blobStore = blobStore;
  }

  /**
   * A server over blobs kept in memory (jimfs), made to behave as S3 where s3proxy does not: keys
   * are stored flat ({@link FlatKeyBlobStore}), listed in UTF-8 order ({@link
   * Utf8OrderedBlobStore}), and conditional deletes of missing keys fail ({@link
   * ConditionalDeleteBlobStore}).
   */
  static S3ProxyServer startTransient() throws Exception {
    return start(
        new ConditionalDeleteBlobStore(
            new Utf8OrderedBlobStore(new FlatKeyBlobStore(new TransientNio2BlobStore()))));
  }

  /** As {@link #startTransient()}, over blobs kept in files under {@code dir}, off the heap. */
  static S3ProxyServer startFilesystem(Path dir) throws Exception {
    return start(
        new ConditionalDeleteBlobStore(
            new Utf8OrderedBlobStore(
                new FlatKeyBlobStore(new FilesystemNio2BlobStore(dir.toString())))));
  }

  /** A server over {@code blobStore} as it is. */
  static S3ProxyServer start(BlobStore blobStore) throws Exception {
    S3ProxyServer server = new S3ProxyServer(blobStore);
    server.start(0);
    return server;
  }

  /** Starts the server on {@code port}, or on a free port if it is 0. */
  synchronized void start(int port) throws Exception {
    if (proxy != null) {
      throw new IllegalStateException("already running on port " + this.port);
    }
    S3Proxy p =
        S3Proxy.builder()
            .blobStore(blobStore)
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .ignoreUnknownHeaders(true)
            .stopTimeout(0)
            .jettyMaxThreads(32)
            .build();
    p.start();
    this.proxy = p;
    this.port = p.getPort();
  }

  /** Starts the server again, on the port it had, over the same blobs. */
  void restart() throws Exception {
    start(port);
  }

  /** Stops the server: listening ends and open connections are closed. */
  synchronized void stop() throws Exception {
    if (proxy != null) {
      proxy.stop();
      proxy = null;
    }
  }

  synchronized int port() {
    return port;
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  BlobStore blobStore() {
    return blobStore;
  }

  /** The endpoint as test code sees it, with a bucket created on the server. */
  S3Endpoint endpoint(String bucket) {
    S3Endpoint e = new S3Endpoint(endpoint(), REGION, ACCESS_KEY, SECRET_KEY, bucket, "s3proxy");
    e.createBucketIfMissing();
    return e;
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("stopping s3proxy failed", e);
    } finally {
      blobStore.close();
    }
  }
}
