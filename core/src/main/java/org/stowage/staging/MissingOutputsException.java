package org.stowage.staging;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.stowage.ExternalResourceException;

/**
 * Thrown by {@link StorageManager#transfer()} when registered files are missing from the scratch
 * directory. It names all of them, and nothing was stored.
 */
public final class MissingOutputsException extends ExternalResourceException {
  private static final long serialVersionUID = 1L;

  private final transient Map<String, Path> missing;

  MissingOutputsException(String manager, Map<String, Path> missing) {
    super(
        manager + ": transfer refused: " + missing.size() + " registered file"
            + (missing.size() == 1 ? " is" : "s are") + " missing from scratch, so nothing was stored: "
            + missing.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", ")),
        null);
    this.missing = Map.copyOf(missing);
  }

  /**
   * The locations whose files are missing, each with the scratch path where it was expected.
   *
   * @return each missing file's location in the store, mapped to its expected path in scratch; an
   *     unmodifiable map, never empty
   */
  public Map<String, Path> missing() {
    return missing;
  }

  /**
   * The missing locations, sorted.
   *
   * @return the locations of {@link #missing()}, in ascending order; a new list
   */
  public List<String> locations() {
    return missing.keySet().stream().sorted().collect(Collectors.toList());
  }
}
