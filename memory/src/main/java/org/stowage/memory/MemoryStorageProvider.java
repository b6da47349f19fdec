package org.stowage.memory;

import java.net.URI;
import org.stowage.ExternalStorage;
import org.stowage.spi.StorageProvider;

/**
 * Opens {@code memory:} URIs for {@link ExternalStorage#open(String)}: each call gives a new,
 * empty {@link MemoryStorage}. {@code memory:?maxBytes=N} bounds it to {@code N} bytes. Nothing
 * else is accepted; in particular, there are no named, shared in-memory stores.
 */
public final class MemoryStorageProvider implements StorageProvider {
  @Override
  public String scheme() {
    return "memory";
  }

  @Override
  public ExternalStorage open(URI uri) {
    // memory: and memory:/ hold nothing; memory:?maxBytes=N is opaque, so read the raw part.
    String part = uri.getRawSchemeSpecificPart();
    if (part.equals("/") || part.isEmpty()) {
      return new MemoryStorage();
    }
    String query = part.startsWith("/?") ? part.substring(2) : part.startsWith("?") ? part.substring(1) : null;
    if (query != null && query.startsWith("maxBytes=") && query.indexOf('&') < 0) {
      String value = query.substring("maxBytes=".length());
      try {
        return new MemoryStorage(Long.parseLong(value));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "memory: maxBytes must be a number of bytes, zero or more, got \"" + value + "\" in "
                + StorageProvider.redact(uri.toString()),
            e);
      }
    }
    throw new IllegalArgumentException(
        "a memory storage URI is \"memory:\" or \"memory:?maxBytes=N\", got "
            + StorageProvider.redact(uri.toString()));
  }
}
