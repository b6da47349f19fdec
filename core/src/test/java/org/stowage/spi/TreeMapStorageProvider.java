package org.stowage.spi;

import java.net.URI;
import org.stowage.ExternalStorage;
import org.stowage.TreeMapStorage;

/** A provider for the core's tests: {@code tree:} opens a new {@link TreeMapStorage}. */
public class TreeMapStorageProvider implements StorageProvider {
  @Override
  public String scheme() {
    return "tree";
  }

  @Override
  public ExternalStorage open(URI uri) {
    // "tree:?x=1" is an opaque URI: getRawQuery() is null there, so check the whole part.
    if (!uri.getRawSchemeSpecificPart().equals("/")) {
      throw new IllegalArgumentException("tree: takes no path and no parameters: " + uri);
    }
    return new TreeMapStorage();
  }
}
