package org.stowage.testkit.reference;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;

/**
 * A plain, obviously correct backend for the kit's own tests: a sorted map under one lock. Several
 * instances may share one {@link Root}, the way several processes share a directory.
 *
 * <p>It holds whole objects in memory, which only a test backend may do.
 */
public class ReferenceStorage extends ExternalStorage {

  /** The stored objects; shared by the instances created over it. */
  public static final class Root {
    private final TreeMap<String, Entry> objects = new TreeMap<>(Location.UTF8_ORDER);
  }

  private record Entry(byte[] data, Metadata metadata) {}

  private final Root root;
  private final String name;

  /** An instance over {@code root}; {@code name} shows in messages. */
  public ReferenceStorage(Root root, String name) {
    this.root = root;
    this.name = name;
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    source.transferTo(buffer);
    Entry entry = new Entry(buffer.toByteArray(), source.metadata());
    synchronized (root) {
      if (!replaceExisting && root.objects.containsKey(location.value())) {
        return false;
      }
      root.objects.put(location.value(), entry);
      return true;
    }
  }

  @Override
  protected InputStream openObject(Location location) {
    Entry entry = entry(location.value());
    return entry == null ? null : new ByteArrayInputStream(entry.data());
  }

  @Override
  protected boolean objectExists(Location location) {
    return entry(location.value()) != null;
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    Entry entry = entry(location.value());
    return entry == null ? null : entry.metadata();
  }

  @Override
  protected OpenObject openWithMetadata(Location location) {
    Entry entry = entry(location.value());
    return entry == null
        ? null
        : new OpenObject(new ByteArrayInputStream(entry.data()), entry.metadata());
  }

  @Override
  protected boolean deleteObject(Location location) {
    synchronized (root) {
      return root.objects.remove(location.value()) != null;
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    List<String> page;
    synchronized (root) {
      page = root.objects.tailMap(prefix, true).keySet().stream()
          .takeWhile(l -> l.startsWith(prefix)).toList();
    }
    return page.stream();
  }

  /**
   * Lists the objects after {@code startAfter} as {@link #listObjects(String)} does, each of at
   * most {@code maxBytes} bytes with a copy of its bytes and its recorded metadata, read under the
   * same lock as the listing (rule I8).
   */
  @Override
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes) {
    List<ListedObject> page = new java.util.ArrayList<>();
    synchronized (root) {
      for (java.util.Map.Entry<String, Entry> e : root.objects.tailMap(prefix, true).entrySet()) {
        String location = e.getKey();
        if (!location.startsWith(prefix)) {
          break;
        }
        if (Location.UTF8_ORDER.compare(location, startAfter) <= 0) {
          continue;
        }
        Entry entry = e.getValue();
        page.add(entry.data().length <= maxBytes
            ? ListedObject.withContent(location, entry.metadata(), entry.data().clone())
            : ListedObject.of(location));
      }
    }
    return page.stream();
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    try {
      return new URI("reference", null, "/" + location.value(), null);
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  @Override
  public String toString() {
    return "ReferenceStorage[" + name + "]";
  }

  /**
   * Stores {@code data} directly, with its own metadata, bypassing the core; if {@code replace} is
   * false, only if nothing is there.
   *
   * @return whether it stored
   */
  boolean putDirectly(String location, byte[] data, boolean replace) {
    synchronized (root) {
      if (!replace && root.objects.containsKey(location)) {
        return false;
      }
      root.objects.put(location, new Entry(data.clone(), Metadata.of(data)));
      return true;
    }
  }

  /** The stored array of the object itself (not a copy), or null: for a broken backend. */
  byte[] storedArray(String location) {
    Entry entry = entry(location);
    return entry == null ? null : entry.data();
  }

  /** Flips one byte of the object, keeping its size and its recorded metadata. */
  void corrupt(String location) {
    synchronized (root) {
      Entry entry = root.objects.get(location);
      byte[] damaged = entry.data().clone();
      damaged[damaged.length / 2] ^= 0x5a;
      root.objects.put(location, new Entry(damaged, entry.metadata()));
    }
  }

  private Entry entry(String location) {
    synchronized (root) {
      return root.objects.get(location);
    }
  }
}
