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
    boolean visible = shown.toLowerCase(Locale.ROOT).startsWith(wanted + ":");
    String named = visible ? "\"" + wanted + "\" " : "";
    String module = visible ? OWN_MODULES.get(wanted) : null;
    throw new ExternalResourceException(
        "no storage provider for the scheme " + named + "of " + Location.quote(shown)
            + " on the classpath"
            + (module == null ? "" : ": add the dependency org.stowage:" + module + " (Stowage's " + wanted + " backend)")
            + "; schemes available: "
            + (available.isEmpty() ? "none (add stowage-filesystem, stowage-memory or stowage-s3)" : String.join(", ", available)),
        null);
  }

  /** The schemes Stowage's own modules handle, and the module (artifactId) that does. */
  private static final java.util.Map<String, String> OWN_MODULES =
      java.util.Map.of("file", "stowage-filesystem", "memory", "stowage-memory", "s3", "stowage-s3");

  /**
   * The message for a string without a scheme: a storage URI is wanted; for a path, the {@code
   * file:} URI of that path is suggested.
   */
  static String notAUri(String uri, String shown) {
    String schemes = String.join(", ", schemes());
    String wanted = "a storage URI is wanted, with a scheme (" + (schemes.isEmpty() ? "none on the classpath" : schemes)
        + "), as in file:///data/store or memory:";
    if (uri.isEmpty()) {
      return "an empty string is not a storage URI: " + wanted;
    }
    String suggestion = "";
    try {
      suggestion = "; for the directory " + shown + ", write " + java.nio.file.Path.of(uri).toAbsolutePath().normalize().toUri();
    } catch (java.nio.file.InvalidPathException e) {
      // not a path either: no suggestion
    }
    return "not a storage URI: " + shown + ": " + wanted + suggestion;
  }
}
