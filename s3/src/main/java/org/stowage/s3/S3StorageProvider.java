package org.stowage.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.stowage.ExternalStorage;
import org.stowage.spi.StorageProvider;

/**
 * Opens {@code s3:} URIs for {@link ExternalStorage#open(String)}:
 *
 * <pre>
 * s3://bucket
 * s3://bucket/prefix
 * s3://bucket/prefix?endpoint=http://127.0.0.1:9000&amp;region=us-east-1&amp;pathStyle=true
 * </pre>
 *
 * <p>The path after the bucket is the root prefix ({@link S3Storage.Builder#prefix}), decoded
 * from percent-escapes and then checked by the listing-prefix rules, so {@code %2e%2e} is refused
 * like {@code ..}. Parameters, each at most once: {@code endpoint} (a URL, percent-encoded if it
 * has its own query), {@code region}, {@code pathStyle} ({@code true|false}), {@code checksumMode}
 * ({@code SDK_DEFAULT|WHEN_REQUIRED}), {@code partSize} and {@code uploadConcurrency} (numbers),
 * {@code readOnly} ({@code true|false}, {@link S3Storage.Builder#readOnlyForeignBucket}).
 *
 * <p><b>Credentials never go in the URI</b>: they come from the AWS SDK's default chain
 * (environment, system properties, profile files, container or instance roles). A URI with user
 * information ({@code s3://key:secret@bucket}) or a parameter that looks like a credential ({@code
 * accessKey}, {@code secretKey}, {@code token}, ...) is refused, and the refusal does not repeat
 * the URI, since it holds the secret.
 */
public final class S3StorageProvider implements StorageProvider {
  private static final Set<String> KNOWN =
      Set.of("endpoint", "region", "pathStyle", "checksumMode", "partSize", "uploadConcurrency", "readOnly");

  @Override
  public String scheme() {
    return "s3";
  }

  @Override
  public ExternalStorage open(URI uri) {
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "an s3: storage URI must not carry credentials (user information before '@'); they come"
              + " from the AWS SDK's default chain. The URI is not repeated here because it holds a"
              + " secret.");
    }
    if (uri.isOpaque() || uri.getHost() == null) {
      throw refused(uri, "it must name a bucket, as in s3://bucket/prefix");
    }
    if (uri.getPort() != -1 || uri.getRawFragment() != null) {
      throw refused(uri, "it has a port or a fragment; put the server in the endpoint parameter");
    }
    Map<String, String> params = parameters(uri);
    S3Storage.Builder builder = S3Storage.builder().bucket(uri.getHost());
    String path = uri.getPath();
    if (path != null && path.length() > 1) {
      builder.prefix(path.substring(1));
    }
    for (Map.Entry<String, String> p : params.entrySet()) {
      String value = p.getValue();
      switch (p.getKey()) {
        case "endpoint" -> builder.endpointOverride(endpoint(uri, value));
        case "region" -> builder.region(value);
        case "pathStyle" -> builder.pathStyleAccess(bool(uri, p.getKey(), value));
        case "readOnly" -> builder.readOnlyForeignBucket(bool(uri, p.getKey(), value));
        case "checksumMode" -> builder.checksumMode(checksumMode(uri, value));
        case "partSize" -> builder.partSize(number(uri, p.getKey(), value));
        case "uploadConcurrency" -> builder.uploadConcurrency((int) number(uri, p.getKey(), value));
        default -> throw new AssertionError(p.getKey());
      }
    }
    return builder.build();
  }

  private static Map<String, String> parameters(URI uri) {
    Map<String, String> params = new LinkedHashMap<>();
    String query = uri.getRawQuery();
    if (query == null || query.isEmpty()) {
      return params;
    }
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.contains("key") || lower.contains("secret") || lower.contains("token")
          || lower.contains("password") || lower.contains("credential")) {
        throw new IllegalArgumentException(
            "an s3: storage URI must not carry credentials (parameter \"" + name + "\"); they come"
                + " from the AWS SDK's default chain. The URI is not repeated here because it may"
                + " hold a secret.");
      }
      if (!KNOWN.contains(name)) {
        throw refused(uri, "unknown parameter \"" + name + "\"; known: " + String.join(", ", new java.util.TreeSet<>(KNOWN)));
      }
      if (eq < 0) {
        throw refused(uri, "parameter \"" + name + "\" has no value");
      }
      if (params.put(name, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)) != null) {
        throw refused(uri, "parameter \"" + name + "\" is given twice");
      }
    }
    return params;
  }

  private static boolean bool(URI uri, String name, String value) {
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw refused(uri, name + " must be true or false, not \"" + value + "\"");
    };
  }

  private static long number(URI uri, String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw refused(uri, name + " must be a number, not \"" + value + "\"");
    }
  }

  private static S3Storage.ChecksumMode checksumMode(URI uri, String value) {
    try {
      return S3Storage.ChecksumMode.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw refused(uri, "checksumMode must be SDK_DEFAULT or WHEN_REQUIRED, not \"" + value + "\"");
    }
  }

  private static URI endpoint(URI uri, String value) {
    try {
      return new URI(value);
    } catch (URISyntaxException e) {
      // Not chained: its message repeats the value, which may carry a credential.
      throw refused(uri, "the endpoint is not a URI: " + e.getReason() + " at index " + e.getIndex());
    }
  }

  /** A refusal that shows the URI redacted ({@link StorageProvider#redact}). */
  private static IllegalArgumentException refused(URI uri, String why) {
    return new IllegalArgumentException(
        "not an s3 storage URI: " + StorageProvider.redact(uri.toString()) + ": " + why);
  }
}
