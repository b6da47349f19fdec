package org.stowage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.TreeSet;
import org.stowage.spi.StorageProvider;

/** Finds {@link StorageProvider}s on the classpath, for {@link ExternalStorage#open(String)}. */
final class StorageProviders {
  private StorageProviders() {}

  static List<StorageProvider> all() {
    List<StorageProvider> providers = new ArrayList<>();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = StorageProviders.class.getClassLoader();
    }
    ServiceLoader.load(StorageProvider.class, loader).forEach(providers::add);
    return providers;
  }

  static List<String> schemes() {
    TreeSet<String> schemes = new TreeSet<>();
    for (StorageProvider p : all()) {
      schemes.add(p.scheme());
    }
    return new ArrayList<>(schemes);
  }

  static StorageProvider forScheme(String scheme, String uri) {
    String wanted = scheme.toLowerCase(Locale.ROOT);
    List<StorageProvider> providers = all();
    TreeSet<String> available = new TreeSet<>();
    for (StorageProvider p : providers) {
      if (p.scheme().equals(wanted)) {
        return p;
      }
      available.add(p.scheme());
    }
    String shown = org.stowage.spi.StorageProvider.redact(uri);
    // The "scheme" of "KEY:SECRET@bucket" is the key: name it only if the redacted URI shows it.
    String named = shown.toLowerCase(Locale.ROOT).startsWith(wanted + ":") ? "\"" + wanted + "\" " : "";
    throw new ExternalResourceException(
        "no storage provider for the scheme " + named + "of " + Location.quote(shown)
            + " on the classpath; schemes available: "
            + (available.isEmpty() ? "none (add stowage-filesystem, stowage-memory or stowage-s3)" : String.join(", ", available)),
        null);
  }
}
