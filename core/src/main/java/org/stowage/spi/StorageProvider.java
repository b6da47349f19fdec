package org.stowage.spi;

import java.net.URI;
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
  /** The scheme this provider opens, in lowercase, for example {@code "file"}. */
  String scheme();

  /**
   * Opens a new storage for {@code uri}, whose scheme is this provider's. The caller closes it.
   *
   * @throws IllegalArgumentException if the URI is malformed for this scheme (a bad path, an
   *     unknown parameter, a parameter that could carry a credential); the message names the URI
   *     part at fault
   * @throws org.stowage.ExternalResourceException if the storage cannot be opened
   */
  ExternalStorage open(URI uri);
}
