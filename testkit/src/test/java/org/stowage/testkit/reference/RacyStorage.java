package org.stowage.testkit.reference;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;

/**
 * A backend with one race, as a backend author could write it: every operation is right on its
 * own, and only concurrent use shows the flaw. For checking that the stress check catches races
 * reliably (docs/testkit.md gives the rates).
 */
public final class RacyStorage extends ExternalStorage {

  /** The races. */
  public enum Flaw {
    /**
     * A plain HashMap, no lock, listings sorted on the way out: concurrent stores lose entries
     * while it resizes, listings throw (T1). (A TreeMap in its place can also be corrupted into
     * a cycle that never returns; the stress check reports that as T1 a minute after its budget,
     * but the looping threads cannot be stopped, so the rate harness uses the HashMap.)
     */
    UNSYNCHRONISED_MAP,
    /**
     * Bytes and metadata in two concurrent maps, updated one after the other: a reader can see
     * the new bytes with the old metadata (T1.1).
     */
    TWO_STEP_METADATA,
    /** CREATE checks that the location is free, then puts, in two steps (S5). */
    CHECK_THEN_ACT_CREATE,
    /**
     * A store puts the object under {@code <location>.part} first, then under its name, then
     * removes the part: a concurrent listing can see the part (I6).
     */
    TEMP_NAME_VISIBLE
  }

  private record Entry(byte[] data, Metadata metadata) {}

  private final Flaw flaw;
  private final Map<String, Entry> objects;
  private final Map<String, Metadata> metadata = new ConcurrentHashMap<>();

  /** An empty store with {@code flaw}. */
  public RacyStorage(Flaw flaw) {
    this.flaw = flaw;
    this.objects = flaw == Flaw.UNSYNCHRONISED_MAP
        ? new HashMap<>()
        : new ConcurrentSkipListMap<>(Location.UTF8_ORDER);
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    source.transferTo(buffer);
    Entry entry = new Entry(buffer.toByteArray(), source.metadata());
    String key = location.value();
    switch (flaw) {
      case TWO_STEP_METADATA -> {
        if (replaceExisting) {
          objects.put(key, entry);
        } else if (objects.putIfAbsent(key, entry) != null) {
          return false;
        }
        metadata.put(key, entry.metadata());
        return true;
      }
      case TEMP_NAME_VISIBLE -> {
        objects.put(key + ".part", entry);
        try {
          if (replaceExisting) {
            objects.put(key, entry);
            return true;
          }
          return objects.putIfAbsent(key, entry) == null;
        } finally {
          objects.remove(key + ".part");
        }
      }
      default -> {
        if (!replaceExisting && objects.containsKey(key)) {
          return false;
        }
        objects.put(key, entry);
        return true;
      }
    }
  }

  @Override
  protected InputStream openObject(Location location) {
    Entry entry = objects.get(location.value());
    return entry == null ? null : new ByteArrayInputStream(entry.data());
  }

  @Override
  protected boolean objectExists(Location location) {
    return objects.containsKey(location.value());
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    if (flaw == Flaw.TWO_STEP_METADATA) {
      return objects.containsKey(location.value()) ? metadata.get(location.value()) : null;
    }
    Entry entry = objects.get(location.value());
    return entry == null ? null : entry.metadata();
  }

  @Override
  protected boolean deleteObject(Location location) {
    boolean removed = objects.remove(location.value()) != null;
    if (flaw == Flaw.TWO_STEP_METADATA) {
      metadata.remove(location.value());
    }
    return removed;
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    if (objects instanceof NavigableMap<String, Entry> sorted) {
      return sorted.tailMap(prefix, true).keySet().stream()
          .takeWhile(l -> l.startsWith(prefix)).toList().stream();
    }
    return objects.keySet().stream().filter(l -> l.startsWith(prefix))
        .sorted(Location.UTF8_ORDER).toList().stream();
  }

  @Override
  protected URI objectUri(Location location) {
    return URI.create("racy:/" + location.value().replace("%", "%25").replace(" ", "%20"));
  }

  @Override
  public String toString() {
    return "RacyStorage[" + flaw + "]";
  }
}
