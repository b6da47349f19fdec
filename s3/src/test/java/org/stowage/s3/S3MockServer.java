package org.stowage.s3;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Adobe S3Mock 5.2.0, a second S3 server independent of s3proxy, in a JVM of its own on 127.0.0.1,
 * storing under a fresh temporary directory that is deleted when it stops. One server per test JVM
 * ({@link #shared()}), started on first use and stopped when the JVM exits.
 *
 * <p>Maven's dependency plugin copies S3Mock's executable jar to {@code target/s3mock/} and
 * surefire passes its path as the system property {@code stowage.s3mock.jar}. The forked JVM runs
 * it through Spring Boot's {@code PropertiesLauncher} with {@link S3MockLauncher} as its main class
 * (copied next to the store), which binds every connector to 127.0.0.1 and prints the port once
 * the server answers. The child exits when its standard input ends, so it never outlives the test
 * JVM.
 *
 * <p>S3Mock accepts any credentials and checks no signature.
 */
final class S3MockServer implements AutoCloseable {
  static final String JAR_PROPERTY = "stowage.s3mock.jar";
  static final String VERSION = "5.2.0";
  private static final long START_SECONDS = 90;
  private static final int OUTPUT_LINES_KEPT = 60;

  private static S3MockServer shared;

  private final Process process;
  private final Path root;
  private final int port;

  private S3MockServer(Process process, Path root, int port) {
    this.process = process;
    this.root = root;
    this.port = port;
  }

  /** The JVM's S3Mock server, started on first use. */
  static synchronized S3MockServer shared() {
    if (shared == null) {
      try {
        shared = start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start S3Mock for the S3 tests: " + e.getMessage(), e);
      }
      S3MockServer s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "stop-s3mock"));
    }
    return shared;
  }

  /**
   * Starts a server and waits until it answers.
   *
   * @throws IllegalStateException if the jar is missing, or the server exits or stays silent for
   *     {@value #START_SECONDS} seconds; the message holds the end of its output
   */
  static S3MockServer start() throws IOException {
    String jarProperty = System.getProperty(JAR_PROPERTY);
    if (jarProperty == null || !Files.isRegularFile(Paths.get(jarProperty))) {
      throw new IllegalStateException(
          "S3Mock's executable jar is not at " + (jarProperty == null
              ? "the path the system property " + JAR_PROPERTY + " names (it is not set)"
              : jarProperty)
              + ": run the tests through Maven (mvn -pl s3 -am test), whose dependency plugin"
              + " copies com.adobe.testing:s3mock:" + VERSION + ":exec there");
    }
    Path root = Files.createTempDirectory("stowage-s3mock-");
    Path launcher = root.resolve("launcher");
    Path store = Files.createDirectories(root.resolve("store"));
    copyLauncher(launcher);
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(
        // A short-lived test server: start fast, stay small.
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms64m", "-Xmx512m",
        "-cp", jarProperty,
        "-Dloader.path=" + launcher,
        "-Dloader.main=" + S3MockLauncher.class.getName(),
        "org.springframework.boot.loader.launch.PropertiesLauncher",
        // Plain HTTP on the main connector; S3MockLauncher binds it and the extra one to loopback.
        "--server.port=0",
        "--http.port=0",
        "--server.address=" + S3MockLauncher.LOOPBACK,
        "--server.ssl.enabled=false",
        "--com.adobe.testing.s3mock.store.root=" + store,
        "--com.adobe.testing.s3mock.store.retain-files-on-exit=false",
        "--com.adobe.testing.s3mock.store.region=" + S3ProxyServer.REGION,
        // Above the 3 parts of 5 MiB the contract suite stores at most.
        "--com.adobe.testing.s3mock.max-payload-size=64MB",
        "--spring.main.banner-mode=off",
        "--logging.level.root=WARN"));
    Process process =
        new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
    Deque<String> output = new ArrayDeque<>();
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> pump(process, output, ready), "s3mock-output");
    reader.setDaemon(true);
    reader.start();
    try {
      int port = ready.get(START_SECONDS, TimeUnit.SECONDS);
      return new S3MockServer(process, root, port);
    } catch (TimeoutException | ExecutionException | InterruptedException e) {
      process.destroyForcibly();
      deleteTree(root);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      String why = e instanceof TimeoutException
          ? "did not answer within " + START_SECONDS + " s"
          : e instanceof ExecutionException ? e.getCause().getMessage() : "start was interrupted";
      synchronized (output) {
        throw new IllegalStateException(
            "S3Mock " + VERSION + " (" + jarProperty + ") " + why + "; its last output:\n"
                + String.join("\n", output), e);
      }
    }
  }

  private static void pump(Process process, Deque<String> output, CompletableFuture<Integer> ready) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith(S3MockLauncher.READY)) {
          ready.complete(Integer.parseInt(line.substring(S3MockLauncher.READY.length()).trim()));
          continue;
        }
        synchronized (output) {
          output.addLast(line);
          if (output.size() > OUTPUT_LINES_KEPT) {
            output.removeFirst();
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      ready.completeExceptionally(e);
    }
    ready.completeExceptionally(
        new IllegalStateException("it exited (" + exitCode(process) + ") before it was ready"));
  }

  private static String exitCode(Process process) {
    try {
      return "exit code " + process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "exit code unknown";
    }
  }

  /** Writes S3MockLauncher's class files under {@code dir}, a class path root of their own. */
  private static void copyLauncher(Path dir) throws IOException {
    Path pkg = dir.resolve(S3MockLauncher.class.getPackageName().replace('.', '/'));
    Files.createDirectories(pkg);
    for (String name : List.of("S3MockLauncher", "S3MockLauncher$Call")) {
      try (InputStream in = S3MockLauncher.class.getResourceAsStream(name + ".class")) {
        if (in == null) {
          throw new IOException("class file " + name + ".class is not on the test class path");
        }
        Files.copy(in, pkg.resolve(name + ".class"));
      }
    }
  }

  URI endpoint() {
    return URI.create("http://" + S3MockLauncher.LOOPBACK + ":" + port);
  }

  /** The endpoint as test code sees it, with {@code bucket} created on the server. */
  S3Endpoint endpoint(String bucket) {
    // S3Mock checks no credentials; these are the same as s3proxy's.
    S3Endpoint e = new S3Endpoint(endpoint(), S3ProxyServer.REGION, S3ProxyServer.ACCESS_KEY,
        S3ProxyServer.SECRET_KEY, bucket, "s3mock");
    e.createBucketIfMissing();
    return e;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteTree(root);
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind; nothing to fail for
    }
  }
}
