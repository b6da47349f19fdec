package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalStorage;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Rule T2: no exception message, no {@code toString()} and no log line carries an access key id, a
 * secret key, a session token or a request signature.
 *
 * <p>Most tests run with every logger at TRACE (the AWS SDK's, Apache HttpClient's, including its
 * header and wire loggers, and Stowage's), all events captured, while storages with distinctive
 * credentials succeed and fail in every way: wrong secret, unknown access key, session token,
 * missing bucket, unreachable endpoint, storage URIs that carry credentials. Then every captured
 * message, every exception (message and {@code toString()}, causes and suppressed ones,
 * recursively), and the {@code toString()} of every storage and builder are searched for the
 * credentials, for the signatures of the requests actually sent (read off the wire by a recording
 * proxy), and for the words of an {@code Authorization} header.
 *
 * <p>What the search found, and what holds now:
 *
 * <ul>
 *   <li>Stowage's own messages, exceptions and {@code toString()}s carry none of them, at any
 *       level (storage URIs with credentials used to be repeated in refusals: fixed).
 *   <li>A secret key appears nowhere, in any logger: it never leaves the process.
 *   <li>Three loggers of other libraries write request headers when enabled at DEBUG: Apache
 *       HttpClient's {@code org.apache.hc.client5.http.headers} (and {@code .wire}) write the
 *       {@code Authorization} header (the access key id and the signature) and {@code
 *       X-Amz-Security-Token}; the SDK's {@code DefaultV4RequestSigner} writes the canonical
 *       request, session token included. Stowage cannot set their levels; S3Storage logs a WARN
 *       naming them whenever a storage is built while they are enabled ({@link
 *       S3Storage#HEADER_LOGGERS}), and {@code docs/s3.md} says to keep them at INFO. These
 *       loggers, at DEBUG and TRACE, are the only place the tests allow an access key id, a
 *       session token or a signature.
 *   <li>With the logging as configured for the build (WARN), nothing captured carries any of them.
 * </ul>
 *
 * <p>The s3proxy server that the tests run in this JVM logs too; its loggers ({@code org.gaul},
 * {@code org.eclipse.jetty}, {@code org.jclouds}) are the test server's, not the client's, and are
 * left at WARN and out of the search.
 */
class S3SecretsTest {
  private static final String FAKE_KEY = "AKIASTOWAGEFAKE7Q3ZX";
  private static final String FAKE_SECRET = "stowageFakeSecret/9xQ2+kL7mN4pR8tV1wY5zB3cD6fG0hJ";
  private static final String FAKE_TOKEN = "StowageFakeSessionToken//Zm9vYmFyYmF6+cXV4Lw==";
  private static final List<String> SERVER_LOGGERS =
      List.of("org.gaul", "org.eclipse.jetty", "org.jclouds");

  private static S3ProxyServer server;
  private static S3Endpoint endpoint;
  private static FaultProxy tap;

  private final Capture capture = new Capture();
  private final List<Throwable> thrown = new ArrayList<>();
  private final List<String> described = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.startTransient();
    endpoint = server.endpoint("secrets");
    // Requests go through an unarmed proxy that records them, to learn the signatures sent.
    tap = new FaultProxy(server.port());
    tap.record(true);
  }

  @AfterAll
  static void stop() throws Exception {
    tap.close();
    server.close();
  }

  @BeforeEach
  void startCapture() {
    capture.start(true);
  }

  @AfterEach
  void stopCapture() {
    capture.stop();
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @DisplayName("T2 real credentials, every operation succeeding: no log line carries them")
  void succeeding() throws Exception {
    exercise(credentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY), endpoint.bucket(), true);
    assertNoSecrets(List.of(S3ProxyServer.SECRET_KEY), S3ProxyServer.ACCESS_KEY);
  }

  @Test
  @DisplayName("T2 a wrong secret key: every operation fails, and nothing carries the key or the secret")
  void wrongSecret() throws Exception {
    exercise(credentials(S3ProxyServer.ACCESS_KEY, FAKE_SECRET), endpoint.bucket(), false);
    assertTrue(thrown.size() >= 8, "every operation failed: " + thrown.size());
    assertNoSecrets(List.of(FAKE_SECRET, S3ProxyServer.SECRET_KEY), S3ProxyServer.ACCESS_KEY);
  }

  @Test
  @DisplayName("T2 an unknown access key: every operation fails, and nothing carries the key or the secret")
  void unknownAccessKey() throws Exception {
    exercise(credentials(FAKE_KEY, FAKE_SECRET), endpoint.bucket(), false);
    assertNoSecrets(List.of(FAKE_SECRET), FAKE_KEY);
  }

  @Test
  @DisplayName("T2 session credentials: nothing carries the session token")
  void sessionToken() throws Exception {
    AwsCredentials session =
        AwsSessionCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, FAKE_TOKEN);
    exercise(session, endpoint.bucket(), null);
    assertNoSecrets(List.of(S3ProxyServer.SECRET_KEY), S3ProxyServer.ACCESS_KEY, FAKE_TOKEN);
  }

  @Test
  @DisplayName("T2 a missing bucket and an unreachable endpoint: nothing carries the credentials")
  void missingBucketAndUnreachable() throws Exception {
    exercise(credentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY), "no-such-bucket-here", false);
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try (S3Storage storage =
        S3Storage.builder()
            .bucket("b")
            .endpointOverride(URI.create("http://127.0.0.1:" + port))
            .pathStyleAccess(true)
            .credentialsProvider(StaticCredentialsProvider.create(credentials(FAKE_KEY, FAKE_SECRET)))
            .maxAttempts(2)
            .build()) {
      described.add(storage.toString());
      run(() -> storage.exists("x"));
      run(() -> storage.storeBytes("x", new byte[] {1}));
    }
    assertTrue(thrown.size() >= 10, "every operation failed: " + thrown.size());
    assertNoSecrets(
        List.of(S3ProxyServer.SECRET_KEY, FAKE_SECRET), S3ProxyServer.ACCESS_KEY, FAKE_KEY);
  }

  @Test
  @DisplayName("T2 with the logging as configured for the build, a wrong secret and a session token leave no credential in any log line")
  void configuredLevels() throws Exception {
    capture.stop();
    capture.start(false);
    exercise(credentials(S3ProxyServer.ACCESS_KEY, FAKE_SECRET), endpoint.bucket(), false);
    exercise(
        AwsSessionCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, FAKE_TOKEN),
        endpoint.bucket(),
        null);
    assertNoSecrets(
        List.of(FAKE_SECRET, S3ProxyServer.SECRET_KEY), S3ProxyServer.ACCESS_KEY, FAKE_TOKEN);
  }

  @Test
  @DisplayName("T2 storage URIs that carry credentials are refused without repeating them")
  void urisWithCredentials() {
    String secret = URLEncoder.encode(FAKE_SECRET, StandardCharsets.UTF_8);
    String user = FAKE_KEY + ":" + secret;
    List<String> uris =
        List.of(
            "s3://" + user + "@bucket/prefix",
            "s3://" + FAKE_KEY + "@bucket/prefix",
            "s3://" + user + "@bucket/with space",
            "s3://" + user + "@bucket/prefix?region=us-east-1&unknown=1",
            "s3://bucket/prefix?accessKey=" + FAKE_KEY + "&secretKey=" + secret,
            "s3://bucket/prefix?aws_access_key_id=" + FAKE_KEY,
            "s3://bucket/prefix?endpoint=http://" + user + "@127.0.0.1:1",
            "s3://bucket/prefix?endpoint=http://" + user + "@127.0.0.1:1&pathStyle=maybe",
            "s3://bucket/prefix?endpoint=http://" + user + "@127.0.0.1:1&unknown=1",
            "s3://bucket/prefix?endpoint="
                + URLEncoder.encode("http://" + user + "@127.0.0.1:1", StandardCharsets.UTF_8),
            "s3://bucket/prefix?endpoint=http://" + user + "@127.0.0.1:1/%zz",
            "s3://bucket/prefix?endpoint=http://" + user + "@bad host:1",
            "s3x://" + user + "@bucket/prefix",
            user + "@bucket/prefix",
            "file://" + user + "@localhost/tmp/stowage-secrets-test",
            "file://" + user + "@otherhost/tmp/stowage-secrets-test",
            "memory://" + user + "@somewhere/",
            "memory:?secret=" + secret);
    for (String uri : uris) {
      try (ExternalStorage opened = ExternalStorage.open(uri)) {
        described.add(opened.toString());
        throw new AssertionError("opened " + opened.getClass().getSimpleName() + " from a URI with a credential");
      } catch (RuntimeException e) {
        thrown.add(e);
      }
    }
    assertEquals(uris.size(), thrown.size());
    // No request is sent here: nothing, not even a header logger, may carry them.
    assertNoSecrets(List.of(FAKE_KEY, FAKE_SECRET, secret));
  }

  // ---------------------------------------------------------------------------------------------

  private static AwsCredentials credentials(String key, String secret) {
    return AwsBasicCredentials.create(key, secret);
  }

  /**
   * Every operation of a storage through the recording proxy: stores (one request and in parts),
   * loads, metadata, verify, listing, deletes, a copy. {@code succeed}: whether they must all
   * succeed ({@code true}), all fail ({@code false}), or either ({@code null}).
   */
  private void exercise(AwsCredentials credentials, String bucket, Boolean succeed) throws Exception {
    S3Storage.Builder builder =
        S3Storage.builder()
            .serverFeatures(S3Endpoint.TESTED_S3PROXY)
            .bucket(bucket)
            .prefix(S3Endpoint.freshPrefix())
            .region(endpoint.region())
            .endpointOverride(tap.uri())
            .pathStyleAccess(true)
            .credentialsProvider(StaticCredentialsProvider.create(credentials))
            .partSize(S3Storage.MIN_PART_SIZE)
            .maxAttempts(2)
            .apiCallTimeout(Duration.ofSeconds(30));
    described.add(builder.toString());
    int before = thrown.size();
    List<Runnable> ops = new ArrayList<>();
    try (S3Storage storage = builder.build()) {
      described.add(storage.toString());
      ops.add(() -> storage.storeBytes("a/small", new byte[] {1, 2, 3}));
      ops.add(() -> storage.storeStream("a/big", TestData.stream(1, S3Storage.MIN_PART_SIZE + 1000)));
      ops.add(() -> storage.getMetadata("a/small"));
      ops.add(() -> storage.loadBytes("a/small"));
      ops.add(() -> {
        try (InputStream in = storage.loadStream("a/big", storage.getMetadata("a/big"))) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      ops.add(() -> storage.verify("a/big"));
      ops.add(() -> storage.exists("a/none"));
      ops.add(() -> {
        try (Stream<String> s = storage.iterContents("a/")) {
          s.count();
        }
      });
      ops.add(() -> storage.copy("a/small", "a/copy"));
      ops.add(() -> storage.delete("a/copy"));
      ops.add(() -> storage.deleteIfExists("a/small"));
      for (Runnable op : ops) {
        run(op::run);
      }
    }
    int failures = thrown.size() - before;
    if (Boolean.TRUE.equals(succeed)) {
      assertEquals(0, failures, "every operation succeeds: " + thrown);
    } else if (Boolean.FALSE.equals(succeed)) {
      assertEquals(ops.size(), failures, "every operation fails");
    }
  }

  private void run(Runnable op) {
    try {
      op.run();
    } catch (RuntimeException e) {
      thrown.add(e);
    }
  }

  /** The signatures of the requests the recording proxy forwarded since the last call. */
  private static Set<String> signaturesSent() {
    Set<String> signatures = new LinkedHashSet<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("Signature=([0-9a-f]{64})").matcher(tap.takeRecording());
    while (m.find()) {
      signatures.add(m.group(1));
    }
    return signatures;
  }

  /**
   * Searches everything captured for {@code secretKeys} (allowed nowhere) and {@code identifiers}
   * plus the signatures sent (allowed only in the header loggers at DEBUG and below).
   */
  private void assertNoSecrets(List<String> secretKeys, String... identifiers) {
    Set<String> forbidden = new LinkedHashSet<>(secretKeys);
    Set<String> identifying = new LinkedHashSet<>(List.of(identifiers));
    Set<String> signatures = signaturesSent();
    identifying.addAll(signatures);
    Set<String> all = new LinkedHashSet<>(forbidden);
    all.addAll(identifying);
    List<String> findings = new ArrayList<>();
    int headerLines = 0;
    for (ILoggingEvent event : capture.events()) {
      if (SERVER_LOGGERS.stream().anyMatch(event.getLoggerName()::startsWith)) {
        continue;
      }
      String where = "log " + event.getLevel() + " " + event.getLoggerName();
      boolean headerLogger =
          S3Storage.HEADER_LOGGERS.contains(event.getLoggerName())
              && !event.getLevel().isGreaterOrEqual(Level.INFO);
      List<String> found = new ArrayList<>();
      scan(found, where, event.getFormattedMessage(), headerLogger ? forbidden : all, !headerLogger);
      scanThrowable(found, where, event.getThrowableProxy(), headerLogger ? forbidden : all);
      findings.addAll(found);
      if (headerLogger) {
        List<String> identified = new ArrayList<>();
        scan(identified, where, event.getFormattedMessage(), identifying, true);
        headerLines += identified.isEmpty() ? 0 : 1;
      }
    }
    for (Throwable t : thrown) {
      scanThrowable(findings, "thrown " + t.getClass().getSimpleName(), t, all);
    }
    for (String d : described) {
      scan(findings, "toString", d, all, true);
    }
    assertEquals(List.of(), findings, String.join("\n", findings));
    if (capture.raised() && !signatures.isEmpty()) {
      assertTrue(headerLines > 0, "the capture works: the header loggers wrote the requests");
    }
    if (capture.raised() && headerLines > 0) {
      assertTrue(
          capture.events().stream()
              .anyMatch(e -> e.getLoggerName().equals(S3Storage.class.getName())
                  && e.getLevel() == Level.WARN
                  && e.getFormattedMessage().contains("org.apache.hc.client5.http.headers")),
          "S3Storage warns that the header loggers are enabled");
    }
    if (!capture.raised()) {
      assertEquals(0, headerLines, "with the configured levels, no header is logged");
    }
  }

  private static void scan(
      List<String> findings, String where, String text, Set<String> needles, boolean words) {
    if (text == null) {
      return;
    }
    for (String needle : needles) {
      if (text.contains(needle)) {
        findings.add(where + " carries " + abbreviate(needle) + ": " + abbreviate(text, 300));
      }
    }
    if (!words) {
      return;
    }
    String lower = text.toLowerCase(Locale.ROOT);
    for (String word : List.of("signature=", "credential=", "x-amz-security-token:", "authorization:")) {
      if (lower.contains(word)) {
        findings.add(where + " carries an Authorization header (" + word + "): " + abbreviate(text, 300));
      }
    }
  }

  private static void scanThrowable(List<String> findings, String where, Throwable t, Set<String> needles) {
    Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
    todo.add(t);
    while (!todo.isEmpty()) {
      Throwable x = todo.poll();
      if (x == null || !seen.add(x)) {
        continue;
      }
      scan(findings, where, x.getMessage(), needles, true);
      scan(findings, where, x.toString(), needles, true);
      if (x.getCause() != null) {
        todo.add(x.getCause());
      }
      todo.addAll(List.of(x.getSuppressed()));
    }
  }

  private static void scanThrowable(
      List<String> findings, String where, IThrowableProxy t, Set<String> needles) {
    if (t == null) {
      return;
    }
    scan(findings, where, t.getMessage(), needles, true);
    scanThrowable(findings, where, t.getCause(), needles);
    for (IThrowableProxy s : t.getSuppressed()) {
      scanThrowable(findings, where, s, needles);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 8 ? "\"" + s + "\"" : "\"" + s.substring(0, 8) + "...\"";
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }

  /**
   * Every logger at TRACE into a list, the console appenders detached meanwhile; the test
   * server's loggers at WARN.
   */
  private static final class Capture {
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> list = new ListAppender<>();
    private final Map<Logger, Level> levels = new HashMap<>();
    private final List<Appender<ILoggingEvent>> detached = new ArrayList<>();
    private boolean raised;

    /** Starts capturing; with {@code raise}, every client logger at TRACE. */
    void start(boolean raise) {
      raised = raise;
      synchronized (list) {
        list.list.clear();
      }
      Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      if (!raise) {
        // Capture what the configured levels let through; console appenders stay.
        list.setContext(context);
        list.start();
        root.addAppender(list);
        return;
      }
      for (Logger l : context.getLoggerList()) {
        levels.put(l, l.getLevel());
        if (l != root && l.getLevel() != null) {
          l.setLevel(Level.TRACE);
        }
      }
      for (String name :
          List.of("org.stowage", "software.amazon.awssdk", "org.apache.hc", "org.apache.http")) {
        Logger l = context.getLogger(name);
        levels.putIfAbsent(l, l.getLevel());
        l.setLevel(Level.TRACE);
      }
      for (String name : SERVER_LOGGERS) {
        Logger l = context.getLogger(name);
        levels.putIfAbsent(l, l.getLevel());
        l.setLevel(Level.WARN);
      }
      Logger shaded = context.getLogger("org.gaul.shaded.org.eclipse.jetty");
      levels.putIfAbsent(shaded, shaded.getLevel());
      shaded.setLevel(Level.WARN);
      root.setLevel(Level.TRACE);
      for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
        detached.add(it.next());
      }
      detached.forEach(root::detachAppender);
      list.setContext(context);
      list.start();
      root.addAppender(list);
    }

    void stop() {
      Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      root.detachAppender(list);
      list.stop();
      detached.forEach(root::addAppender);
      detached.clear();
      levels.forEach(Logger::setLevel);
      levels.clear();
    }

    boolean raised() {
      return raised;
    }

    List<ILoggingEvent> events() {
      synchronized (list) {
        return new ArrayList<>(list.list);
      }
    }
  }
}
