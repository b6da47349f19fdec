package org.stowage.s3;

import java.util.Map;

/**
 * The s3 module's in-process S3 server (s3proxy on 127.0.0.1), as the CLI's tests use it: the
 * {@code stowage} process reaches it by a storage URI, with the credentials in its environment
 * (the SDK's default chain), never on its command line.
 */
public final class CliS3Server implements AutoCloseable {
  private final S3ProxyServer server;

  private CliS3Server(S3ProxyServer server) {
    this.server = server;
  }

  /** Starts a server over blobs kept in memory. */
  public static CliS3Server start() throws Exception {
    return new CliS3Server(S3ProxyServer.startTransient());
  }

  /** The storage URI of {@code prefix} in {@code bucket}, which is created if missing. */
  public String uri(String bucket, String prefix) {
    server.endpoint(bucket);
    return "s3://" + bucket + "/" + prefix + "?endpoint=" + server.endpoint() + "&region="
        + S3ProxyServer.REGION + "&pathStyle=true";
  }

  /** The environment that gives a process the server's credentials. */
  public Map<String, String> environment() {
    return Map.of(
        "AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
        "AWS_REGION", S3ProxyServer.REGION);
  }

  /** The secret key, which must appear in no output. */
  public String secret() {
    return S3ProxyServer.SECRET_KEY;
  }

  /** Stops the server: the store becomes unreachable. */
  public void stop() throws Exception {
    server.stop();
  }

  @Override
  public void close() {
    server.close();
  }
}
