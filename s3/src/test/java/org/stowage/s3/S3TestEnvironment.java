package org.stowage.s3;

import java.net.URI;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MinIOContainer;

/**
 * Provides the S3 endpoint that the module's tests share, started once per test run, and injects
 * it as an {@link S3Endpoint} parameter ({@code @ExtendWith(S3TestEnvironment.class)}).
 *
 * <p>Which server, in this order:
 *
 * <ol>
 *   <li>the external endpoint named by the environment: {@code STOWAGE_S3_ENDPOINT}, with {@code
 *       STOWAGE_S3_BUCKET}, {@code STOWAGE_S3_ACCESS_KEY}, {@code STOWAGE_S3_SECRET_KEY} and
 *       optionally {@code STOWAGE_S3_REGION} (default {@code us-east-1}) and {@code
 *       STOWAGE_S3_CHECKSUM_MODE} ({@code SDK_DEFAULT} or {@code WHEN_REQUIRED}, the {@link
 *       S3Storage.ChecksumMode} of the suite's storages, for servers that cannot take the SDK's
 *       {@code aws-chunked} bodies);
 *   <li>with a Docker engine (Testcontainers finds one), MinIO in a container (image {@value
 *       #MINIO_IMAGE}, or the system property {@code stowage.s3.minioImage});
 *   <li>otherwise s3proxy in this JVM, on 127.0.0.1, over blobs in memory. CI takes this path: S3
 *       is never skipped.
 * </ol>
 *
 * Docker is looked for only when no external endpoint is given, and MinIO is started only if
 * Testcontainers reports a working Docker engine.
 */
final class S3TestEnvironment implements ParameterResolver {
  private static final Logger LOG = LoggerFactory.getLogger(S3TestEnvironment.class);
  static final String MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z";
  static final String SHARED_BUCKET = "stowage-test";

  private static S3Endpoint shared;

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == S3Endpoint.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return shared();
  }

  /** The shared endpoint, started on first use and stopped when the JVM exits. */
  static synchronized S3Endpoint shared() {
    if (shared == null) {
      shared = start();
    }
    return shared;
  }

  private static S3Endpoint start() {
    String external = System.getenv("STOWAGE_S3_ENDPOINT");
    if (external != null && !external.isBlank()) {
      S3Endpoint e =
          new S3Endpoint(
              URI.create(external),
              envOr("STOWAGE_S3_REGION", "us-east-1"),
              required("STOWAGE_S3_ACCESS_KEY"),
              required("STOWAGE_S3_SECRET_KEY"),
              required("STOWAGE_S3_BUCKET"),
              "external");
      e.createBucketIfMissing();
      return e;
    }
    if (dockerAvailable()) {
      return startMinio();
    }
    return startS3Proxy();
  }

  /** Whether Testcontainers can reach a Docker engine. */
  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      LOG.debug("no Docker engine: {}", e.toString());
      return false;
    }
  }

  private static S3Endpoint startMinio() {
    MinIOContainer minio =
        new MinIOContainer(System.getProperty("stowage.s3.minioImage", MINIO_IMAGE));
    minio.start();
    Runtime.getRuntime().addShutdownHook(new Thread(minio::stop, "stop-minio"));
    S3Endpoint e =
        new S3Endpoint(
            URI.create(minio.getS3URL()),
            "us-east-1",
            minio.getUserName(),
            minio.getPassword(),
            SHARED_BUCKET,
            "minio");
    e.createBucketIfMissing();
    return e;
  }

  private static S3Endpoint startS3Proxy() {
    try {
      S3ProxyServer server = S3ProxyServer.startTransient();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          server.close();
        } catch (Exception ignored) {
          // the JVM is exiting
        }
      }, "stop-s3proxy"));
      return server.endpoint(SHARED_BUCKET);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start s3proxy for the S3 tests", e);
    }
  }

  /**
   * The checksum mode that {@code STOWAGE_S3_CHECKSUM_MODE} names for the storages on an external
   * endpoint, or empty for the builder's default.
   *
   * @throws IllegalStateException if the variable names no {@link S3Storage.ChecksumMode}
   */
  static java.util.Optional<S3Storage.ChecksumMode> externalChecksumMode() {
    String v = System.getenv("STOWAGE_S3_CHECKSUM_MODE");
    if (v == null || v.isBlank()) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(S3Storage.ChecksumMode.valueOf(v.trim()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("STOWAGE_S3_CHECKSUM_MODE must be SDK_DEFAULT or"
          + " WHEN_REQUIRED, not \"" + v + "\"", e);
    }
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  private static String required(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(
          "STOWAGE_S3_ENDPOINT is set, so " + name + " must be set too");
    }
    return v;
  }
}
