package org.stowage.spi;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.stowage.ExternalStorage;

/**
 * Opens a storage from a URI of one scheme, for {@link ExternalStorage#open(String)}.
 *
 * <p>Each backend module registers its provider in {@code
 * META-INF/services/org.stowage.spi.StorageProvider}, so that a third-party backend plugs in by
 * being on the classpath. Stowage's own: {@code file} ({@code stowage-filesystem}), {@code memory}
 * ({@code stowage-memory}) and {@code s3} ({@code stowage-s3}).
 *
 * <p>Implementations must have a public no-argument constructor, be thread-safe, and never take
 * credentials from the URI: a URI ends up in logs and error messages. Credentials come from the
 * backend's own configuration (for S3, the SDK's default chain).
 *
 * <p>Parse with care: {@code scheme:?a=b} is an <em>opaque</em> {@link URI}, whose {@code
 * getQuery()} is null; check {@link URI#getRawSchemeSpecificPart()} rather than trusting that
 * null means "no parameters". Decode percent-escapes before validating a path, so that {@code
 * %2e%2e} is seen as {@code ..}.
 */
public interface StorageProvider {
  /**
   * The scheme this provider opens, in lowercase, for example {@code "file"}.
   *
   * @return the scheme, lowercase, without the colon; never null, and the same on every call
   */
  String scheme();

  /**
   * Opens a new storage for {@code uri}, whose scheme is this provider's. The caller closes it.
   *
   * @param uri the storage's URI, whose scheme is {@link #scheme()}
   * @return a new, open storage, owned by the caller
   * @throws IllegalArgumentException if the URI is malformed for this scheme (a bad path, an
   *     unknown parameter, a parameter that could carry a credential); the message names the URI
   *     part at fault
   * @throws org.stowage.ExternalResourceException if the storage cannot be opened
   */
  ExternalStorage open(URI uri);

  /**
   * The URI as an error message may show it, with whatever could be a credential replaced by
   * {@code ***} (rule T2): the user information of the URI and of any URL nested in it, that is
   * what comes before an {@code @} (or {@code %40}) back to the {@code //} (or {@code %2F%2F})
   * that starts its authority, or to the parameter it is in; and the value of every parameter
   * whose name holds {@code key}, {@code secret}, {@code token}, {@code password}, {@code
   * credential} or {@code signature}. {@code s3://AKID:SECRET@bucket/p} becomes {@code
   * s3://***@bucket/p}. Works on any string, valid URI or not. Providers use it for every message
   * that repeats a URI, as {@link ExternalStorage#open} does.
    *
    * @param uri any string, or {@code null}
    * @return {@code uri} with every possible credential replaced by {@code ***}; {@code "null"} for
    *     {@code null}
   */
  static String redact(String uri) {
    if (uri == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(uri.length());
    Matcher at = Pattern.compile("@|%40", Pattern.CASE_INSENSITIVE).matcher(uri);
    int copied = 0;
    while (at.find()) {
      out.append(uri, copied, userInfoStart(uri, copied, at.start())).append("***");
      copied = at.start();
    }
    out.append(uri, copied, uri.length());
    return Pattern.compile(
            "([?&;][^=&#;]*(?:key|secret|token|passw|credential|signature)[^=&#;]*=)[^&#;]*",
            Pattern.CASE_INSENSITIVE)
        .matcher(out)
        .replaceAll("$1***");
  }

  /**
   * Where the user information that ends at {@code at} starts: after the last {@code //} (or
   * {@code %2F%2F}) between {@code from} and {@code at}; without one, after the last {@code ?},
   * {@code &}, {@code =}, {@code ;} or {@code #} there, or at {@code from}.
   */
  private static int userInfoStart(String s, int from, int at) {
    String part = s.substring(from, at).toLowerCase(Locale.ROOT);
    int slashes = part.lastIndexOf("//");
    int encoded = part.lastIndexOf("%2f%2f");
    if (slashes >= 0 || encoded >= 0) {
      return from + Math.max(slashes < 0 ? -1 : slashes + 2, encoded < 0 ? -1 : encoded + 6);
    }
    int delimiter = -1;
    for (char c : new char[] {'?', '&', '=', ';', '#'}) {
      delimiter = Math.max(delimiter, part.lastIndexOf(c));
    }
    return from + delimiter + 1;
  }
}
