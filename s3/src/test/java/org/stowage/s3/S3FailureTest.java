package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalResourceException;
import org.stowage.MissingExternalResourceException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Servers that go away, refuse, throttle or never answer. */
@ExtendWith(S3TestEnvironment.class)
class S3FailureTest {
  private static final long PART = S3Storage.MIN_PART_SIZE;

  @Test
  @DisplayName("S2/T2 a server stopped in the middle of an upload in parts: a typed error, no visible object")
  void serverStoppedMidUpload() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.startTransient()) {
      S3Endpoint endpoint = server.endpoint("stopped");
      String prefix = S3Endpoint.freshPrefix();
      AtomicBoolean stopped = new AtomicBoolean();
      InputStream source =
          TestData.stream(
              31,
              3 * PART,
              pos -> {
                if (pos > PART + 100_000 && stopped.compareAndSet(false, true)) {
                  try {
                    server.stop();
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                }
              });
      try (S3Storage storage = failFast(endpoint.storage(prefix)).build()) {
        ExternalResourceException e =
            assertThrows(ExternalResourceException.class, () -> storage.storeStream("obj", source));
        assertEquals(ExternalResourceException.class, e.getClass(), "a plain backend failure");
        assertTrue(stopped.get());
        assertTrue(e.getMessage().contains(endpoint.uri().toString()), e.getMessage());

        server.restart();
        assertFalse(storage.exists("obj"));
        try (Stream<String> listed = storage.iterContents()) {
          assertEquals(List.of(), listed.collect(Collectors.toList()));
        }
        try (S3Client raw = endpoint.client()) {
          List<String> keys =
              raw.listObjectsV2(r -> r.bucket(endpoint.bucket()).prefix(prefix)).contents().stream()
                  .map(S3Object::key)
                  .collect(Collectors.toList());
          assertEquals(List.of(), keys, "neither the object nor a temporary object is there");
        }
        // The restarted server and the same storage work again.
        assertEquals(
            storage.storeStream("obj", TestData.stream(32, PART + 1)), storage.getMetadata("obj"));
      }
    }
  }

  @Test
  @DisplayName("S2/T2 a server stopped before a single PUT: a typed error, no object")
  void serverStoppedBeforePut() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.startTransient()) {
      S3Endpoint endpoint = server.endpoint("stopped-put");
      AtomicBoolean stopped = new AtomicBoolean();
      InputStream source =
          TestData.stream(
              33,
              1000,
              pos -> {
                if (stopped.compareAndSet(false, true)) {
                  try {
                    server.stop();
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                }
              });
      try (S3Storage storage = failFast(endpoint.freshStorage()).build()) {
        ExternalResourceException e =
            assertThrows(ExternalResourceException.class, () -> storage.storeStream("small", source));
        assertEquals(ExternalResourceException.class, e.getClass());
        server.restart();
        assertFalse(storage.exists("small"));
      }
    }
  }

  @Test
  @DisplayName("T2 wrong credentials: a clear error naming endpoint and bucket, never the secret")
  void wrongCredentials(S3Endpoint endpoint) {
    String badSecret = "not-the-secret-" + UUID.randomUUID();
    try (S3Storage storage =
        endpoint
            .freshStorage()
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(endpoint.accessKey(), badSecret)))
            // Two attempts: s3proxy may close a connection after an error response, and the
            // next request on it then fails once with a broken pipe (retried, as any reset is).
            .maxAttempts(2)
            .build()) {
      for (Supplier<Object> op : operations(storage)) {
        ExternalResourceException e = assertThrows(ExternalResourceException.class, op::get);
        assertFalse(e instanceof MissingExternalResourceException, e.toString());
        assertNamesEndpointNotSecret(e, endpoint, badSecret);
        assertTrue(e.getMessage().contains("403"), e.getMessage());
      }
    }
  }

  @Test
  @DisplayName("T2 a missing bucket: a clear error naming endpoint and bucket, never an empty store")
  void missingBucket(S3Endpoint endpoint) {
    String bucket = "stowage-missing-" + UUID.randomUUID().toString().substring(0, 8);
    S3Endpoint nowhere =
        new S3Endpoint(
            endpoint.uri(), endpoint.region(), endpoint.accessKey(), endpoint.secretKey(), bucket,
            endpoint.kind());
    try (S3Storage storage = nowhere.freshStorage().maxAttempts(2).build()) {
      for (Supplier<Object> op : operations(storage)) {
        ExternalResourceException e = assertThrows(ExternalResourceException.class, op::get);
        assertFalse(e instanceof MissingExternalResourceException, e.toString());
        assertNamesEndpointNotSecret(e, nowhere, endpoint.secretKey());
        assertTrue(
            e.getMessage().contains("does not exist") || e.getMessage().contains("NoSuchBucket"),
            e.getMessage());
      }
    }
  }

  @Test
  @DisplayName("T2 an unreachable endpoint fails with a typed error, within the timeouts")
  void unreachableEndpoint(S3Endpoint endpoint) throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    S3Endpoint closed =
        new S3Endpoint(
            URI.create("http://127.0.0.1:" + port), endpoint.region(), endpoint.accessKey(),
            endpoint.secretKey(), "some-bucket", "closed port");
    try (S3Storage storage =
        closed.freshStorage().apiCallTimeout(Duration.ofSeconds(5)).maxAttempts(2).build()) {
      long t0 = System.nanoTime();
      ExternalResourceException e =
          assertThrows(ExternalResourceException.class, () -> storage.exists("x"));
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "within the timeout");
      assertNamesEndpointNotSecret(e, closed, endpoint.secretKey());
    }
  }

  @Test
  @DisplayName("T2 a server that accepts but never answers: the API call timeout ends the call")
  void silentServerTimesOut(S3Endpoint endpoint) throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    List<Socket> held = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                while (done.getCount() > 0) {
                  try {
                    Socket s = silent.accept();
                    synchronized (held) {
                      held.add(s);
                    }
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              },
              "silent-server");
      acceptor.setDaemon(true);
      acceptor.start();
      S3Endpoint mute =
          new S3Endpoint(
              URI.create("http://127.0.0.1:" + silent.getLocalPort()), endpoint.region(),
              endpoint.accessKey(), endpoint.secretKey(), "mute-bucket", "silent");
      try (S3Storage storage =
          mute.freshStorage().apiCallTimeout(Duration.ofSeconds(2)).maxAttempts(3).build()) {
        long t0 = System.nanoTime();
        ExternalResourceException e =
            assertThrows(ExternalResourceException.class, () -> storage.getMetadata("x"));
        long elapsed = System.nanoTime() - t0;
        assertTrue(elapsed < TimeUnit.SECONDS.toNanos(8), "took " + elapsed / 1_000_000 + " ms");
        assertNamesEndpointNotSecret(e, mute, endpoint.secretKey());
      }
    } finally {
      done.countDown();
      synchronized (held) {
        for (Socket s : held) {
          s.close();
        }
      }
    }
  }

  @Test
  @DisplayName("T2 throttling (503 SlowDown) is retried by the SDK's standard strategy up to maxAttempts")
  void throttlingIsRetried() throws Exception {
    AtomicInteger throttles = new AtomicInteger();
    AtomicInteger puts = new AtomicInteger();
    ForwardingBlobStore flaky =
        new ForwardingBlobStore(
            new Utf8OrderedBlobStore(new FlatKeyBlobStore(new TransientNio2BlobStore()))) {
          @Override
          public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
            puts.incrementAndGet();
            if (throttles.getAndDecrement() > 0) {
              // Read the body first, as a server does, so that the connection stays usable.
              try {
                content.transferTo(java.io.OutputStream.nullOutputStream());
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              throw S3Exception.builder()
                  .statusCode(503)
                  .message("Please reduce your request rate.")
                  .awsErrorDetails(
                      AwsErrorDetails.builder()
                          .errorCode("SlowDown")
                          .errorMessage("Please reduce your request rate.")
                          .build())
                  .build();
            }
            return super.putBlob(request, content);
          }
        };
    try (S3ProxyServer server = S3ProxyServer.start(flaky)) {
      S3Endpoint endpoint = server.endpoint("throttled");
      try (S3Storage storage = endpoint.freshStorage().maxAttempts(3).build()) {
        throttles.set(2);
        puts.set(0);
        storage.storeBytes("a", new byte[] {1, 2});
        assertEquals(3, puts.get(), "two throttled attempts, then success");
        assertTrue(storage.exists("a"));
      }
      try (S3Storage storage = endpoint.freshStorage().maxAttempts(1).build()) {
        throttles.set(1);
        ExternalResourceException e =
            assertThrows(ExternalResourceException.class, () -> storage.storeBytes("b", new byte[1]));
        assertTrue(e.getMessage().contains("503"), e.getMessage());
      }
    }
  }

  private static S3Storage.Builder failFast(S3Storage.Builder b) {
    return b.maxAttempts(2)
        .connectionTimeout(Duration.ofSeconds(2))
        .apiCallTimeout(Duration.ofSeconds(20))
        .partSize(PART)
        .uploadConcurrency(2);
  }

  private static List<Supplier<Object>> operations(S3Storage storage) {
    return List.of(
        () -> storage.exists("x"),
        () -> storage.getMetadata("x"),
        () -> storage.loadStream("x"),
        () -> storage.storeBytes("x", new byte[] {1}),
        () -> storage.deleteIfExists("x"),
        () -> {
          try (Stream<String> s = storage.iterContents()) {
            return s.count();
          }
        });
  }

  private static void assertNamesEndpointNotSecret(
      Throwable e, S3Endpoint endpoint, String secret) {
    assertTrue(e.getMessage().contains(endpoint.uri().toString()), e.getMessage());
    assertTrue(e.getMessage().contains(endpoint.bucket()), e.getMessage());
    assertNoSecret(e, secret);
  }

  private static void assertNoSecret(Throwable e, String secret) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertFalse(String.valueOf(t.getMessage()).contains(secret), "secret in " + t);
      assertFalse(t.toString().contains(secret), "secret in " + t);
      for (Throwable s : t.getSuppressed()) {
        assertNoSecret(s, secret);
      }
    }
  }
}
