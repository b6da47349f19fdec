package org.stowage.filesystem;

import java.net.URI;
import java.nio.file.Path;
import org.stowage.ExternalStorage;
import org.stowage.spi.StorageProvider;

/**
 * Opens {@code file:} URIs for {@link ExternalStorage#open(String)}: {@code file:///data/store}
 * is a {@link FileStorage} rooted at {@code /data/store}, and {@code
 * file:///data/store?durable=true} one with durable writes.
 *
 * <p>Refused, with an {@link IllegalArgumentException} naming the URI: a relative or opaque URI
 * ({@code file:data}), an authority other than empty or {@code localhost}, a fragment, any other
 * parameter, and a path with a {@code .} or {@code ..} segment once percent-escapes are decoded
 * ({@code file:///data/%2e%2e/etc}). A root given by URI is meant literally, never resolved
 * upwards.
 */
public final class FileStorageProvider implements StorageProvider {
  @Override
  public String scheme() {
    return "file";
  }

  @Override
  public ExternalStorage open(URI uri) {
    if (uri.isOpaque() || uri.getRawPath() == null || !uri.getRawPath().startsWith("/")) {
      throw refused(uri, "it must be absolute, as in file:///data/store");
    }
    String host = uri.getRawAuthority();
    if (host != null && !host.isEmpty() && !host.equals("localhost")) {
      throw refused(uri, "a file URI names no host other than localhost");
    }
    if (uri.getRawFragment() != null) {
      throw refused(uri, "it has a fragment");
    }
    String path = uri.getPath();
    for (String segment : path.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw refused(uri, "its path has a \"" + segment + "\" segment (after decoding)");
      }
      if (segment.indexOf('\0') >= 0) {
        throw refused(uri, "its path contains a NUL character");
      }
    }
    boolean durable = false;
    String query = uri.getRawQuery();
    if (query != null) {
      if (query.equals("durable=true")) {
        durable = true;
      } else if (!query.equals("durable=false")) {
        throw refused(uri, "the only parameter is durable=true|false");
      }
    }
    Path root = Path.of(path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
    return FileStorage.builder(root).durable(durable).build();
  }

  private static IllegalArgumentException refused(URI uri, String why) {
    return new IllegalArgumentException(
        "not a file storage URI: " + StorageProvider.redact(uri.toString()) + ": " + why);
  }
}
