package org.stowage.memory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;

/**
 * An {@link ExternalStorage} that keeps its objects in the heap: for tests, for caches, and for
 * units of work whose outputs need not outlive the process.
 *
 * <p>Everything {@link ExternalStorage} promises holds; in particular:
 *
 * <ul>
 *   <li><b>Copies.</b> It copies what it is given and hands out copies: changing an array after
 *       {@code storeBytes}, or one returned by {@code loadBytes}, changes nothing stored.
 *   <li><b>Threads.</b> Safe for concurrent use; every operation is atomic per location. Reads
 *       take no lock; writes and deletes of all locations share one short lock, held only to swap
 *       the stored array and account for its size, never while reading a source.
 *   <li><b>Listing.</b> Sorted in UTF-8 byte order, lazy and weakly consistent: a listing walks
 *       a live sorted set of the locations without copying it, and sees objects stored or deleted
 *       while it runs or not (rule I4). Stores, loads and look-ups go to a hash map instead, so
 *       they cost the same however many objects the store holds; only a store to a new location,
 *       a move and a delete also update the sorted set.
 *   <li><b>Bound.</b> {@link #MemoryStorage(long)} bounds the total bytes held. A store that would
 *       pass the bound fails with an {@link ExternalResourceException} that names the location,
 *       the sizes and the bound, and changes nothing; it stops reading its source as soon as the
 *       bound is passed, so an endless stream cannot exhaust the heap.
 *   <li><b>Moves.</b> {@code move} within the store re-keys the object in one atomic step,
 *       without copying it; {@code copy} copies and verifies, as for any store.
 *   <li><b>URIs.</b> {@link #uri} returns {@code memory://store-N/<location>}, where {@code N}
 *       tells instances in one JVM apart; such a URI means nothing outside this process.
 * </ul>
 *
 * <p>{@link #close()} drops every object.
 */
public final class MemoryStorage extends ExternalStorage {
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** The objects by location: what stores, loads and look-ups use, one hash look-up each. */
  private final ConcurrentHashMap<String, Stored> objects = new ConcurrentHashMap<>();
  /**
   * The locations of {@link #objects}, sorted, for listings. Changed only under the write lock,
   * and only when a location gains or loses its object (replacing an object leaves it alone): a
   * location is added after its object, so a listing never shows one that cannot be loaded yet.
   */
  private final ConcurrentSkipListSet<String> locations =
      new ConcurrentSkipListSet<>(Location.UTF8_ORDER);
  private final Object writeLock = new Object();
  private final long maxTotalBytes;
  private final String name = "store-" + INSTANCES.incrementAndGet();
  private long usedBytes; // guarded by writeLock

  /** An unbounded store: it holds as much as the heap does. */
  public MemoryStorage() {
    this(Long.MAX_VALUE);
  }

  /**
   * A store that holds at most {@code maxTotalBytes} bytes of object content in all (metadata and
   * locations are not counted).
   *
   * @param maxTotalBytes the most bytes of object content the store may hold at once, zero or more;
   *     {@link Long#MAX_VALUE} for no bound (what {@link #MemoryStorage()} uses)
   * @throws IllegalArgumentException if {@code maxTotalBytes} is negative
   */
  public MemoryStorage(long maxTotalBytes) {
    if (maxTotalBytes < 0) {
      throw new IllegalArgumentException("maxTotalBytes must not be negative: " + maxTotalBytes);
    }
    this.maxTotalBytes = maxTotalBytes;
  }

  /**
   * The bound on total bytes, {@link Long#MAX_VALUE} if unbounded.
   *
   * @return the bound given at construction, in bytes; {@link Long#MAX_VALUE} if unbounded
   */
  public long maxTotalBytes() {
    return maxTotalBytes;
  }

  /**
   * The total bytes of object content held now.
   *
   * @return the sum of the sizes of the objects stored now, in bytes, between zero and {@link
   *     #maxTotalBytes()}
   */
  public long usedBytes() {
    synchronized (writeLock) {
      return usedBytes;
    }
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    if (!replaceExisting && objects.containsKey(location.value())) {
      return false; // early answer; checked again under the lock
    }
    byte[] data = readBounded(location, source);
    Stored stored = new Stored(data, source.metadata());
    synchronized (writeLock) {
      Stored previous = objects.get(location.value());
      if (previous != null && !replaceExisting) {
        return false;
      }
      long after = usedBytes - (previous == null ? 0 : previous.data.length) + data.length;
      if (after > maxTotalBytes) {
        throw overBound(location, data.length);
      }
      objects.put(location.value(), stored);
      if (previous == null) {
        locations.add(location.value());
      }
      usedBytes = after;
    }
    return true;
  }

  /**
   * Reads the whole source into a new array, failing as soon as it could not fit: past the bound
   * (counting the space the replaced object would free), or past the largest array. A source of
   * known size is read into an array of exactly that size, which is returned as it is when a read
   * past it finds the end: one copy of the bytes, no growing and no trimming.
   */
  private byte[] readBounded(Location location, ObjectSource source) throws IOException {
    long limit = MAX_ARRAY;
    if (maxTotalBytes != Long.MAX_VALUE) {
      long room;
      synchronized (writeLock) {
        Stored previous = objects.get(location.value());
        room = maxTotalBytes - usedBytes + (previous == null ? 0 : previous.data.length);
      }
      limit = Math.min(room, MAX_ARRAY);
    }
    OptionalLong knownSize = source.knownSize();
    if (knownSize.isPresent() && knownSize.getAsLong() > limit) {
      throw overBound(location, knownSize.getAsLong());
    }
    // A stream of unknown length starts small and grows; the loop below enforces the bound.
    byte[] buffer = new byte[(int) knownSize.orElse(Math.min(8192, limit))];
    byte[] probe = new byte[1];
    int length = 0;
    InputStream in = source.stream();
    while (true) {
      if (length == buffer.length) {
        // Full: find out whether the content ends here before growing the array.
        int n = in.read(probe, 0, 1);
        if (n < 0) {
          break;
        }
        if (n == 0) {
          continue;
        }
        if (length >= limit) {
          throw overBound(location, length + 1L);
        }
        buffer = Arrays.copyOf(buffer, (int) Math.min(limit, Math.max(2L * length, 16)));
        buffer[length++] = probe[0];
        continue;
      }
      int n = in.read(buffer, length, buffer.length - length);
      if (n < 0) {
        break;
      }
      length += n;
    }
    return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
  }

  private ExternalResourceException overBound(Location location, long atLeast) {
    long used = usedBytes();
    return new ExternalResourceException(
        this + ": store of \"" + location.value() + "\" refused: at least " + atLeast
            + " bytes would pass the bound of " + maxTotalBytes + " bytes (" + used
            + " in use); nothing was stored",
        location.value(),
        null);
  }

  @Override
  protected InputStream openObject(Location location) {
    Stored stored = objects.get(location.value());
    return stored == null ? null : new ByteArrayInputStream(stored.data);
  }

  @Override
  protected OpenObject openWithMetadata(Location location) {
    Stored stored = objects.get(location.value());
    return stored == null
        ? null
        : new OpenObject(new ByteArrayInputStream(stored.data), stored.metadata);
  }

  @Override
  protected boolean objectExists(Location location) {
    return objects.containsKey(location.value());
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    Stored stored = objects.get(location.value());
    return stored == null ? null : stored.metadata;
  }

  @Override
  protected boolean deleteObject(Location location) {
    synchronized (writeLock) {
      Stored removed = objects.remove(location.value());
      if (removed == null) {
        return false;
      }
      locations.remove(location.value());
      usedBytes -= removed.data.length;
      return true;
    }
  }

  /**
   * Moves in one step under the write lock: the stored bytes and their metadata are re-keyed, not
   * copied or re-hashed, so a move costs the same whatever the size and cannot pass the bound
   * (unless it replaces nothing, the total is unchanged; replacing frees the target's bytes).
   * Readers of the source see the object until the move, then nothing; readers of the target see
   * the previous object or the moved one. Of concurrent moves of one source, exactly one succeeds.
   */
  @Override
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting)
      throws IOException {
    synchronized (writeLock) {
      Stored moved = objects.get(from.value());
      if (moved == null) {
        throw new NoSuchFileException(from.value());
      }
      Stored previous = objects.get(to.value());
      if (previous != null && !replaceExisting) {
        return null;
      }
      objects.put(to.value(), moved);
      if (previous == null) {
        locations.add(to.value());
      }
      objects.remove(from.value());
      locations.remove(from.value());
      if (previous != null) {
        usedBytes -= previous.data.length;
      }
      return moved.metadata;
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    return listObjects(prefix, "");
  }

  /** The sorted set's tail after the larger of the two bounds: nothing before it is looked at. */
  @Override
  protected Stream<String> listObjects(String prefix, String startAfter) {
    boolean afterWins = Location.UTF8_ORDER.compare(startAfter, prefix) >= 0;
    return (afterWins ? locations.tailSet(startAfter, false) : locations.tailSet(prefix, true))
        .stream().takeWhile(k -> k.startsWith(prefix));
  }

  /**
   * The same listing, each object of at most {@code maxBytes} bytes with a copy of its bytes and
   * its metadata, taken together from the map when it is listed (rule I8); an object deleted
   * between the two looks is listed without content.
   */
  @Override
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes) {
    return listObjects(prefix, startAfter).map(location -> {
      Stored stored = objects.get(location);
      return stored == null || stored.data().length > maxBytes
          ? ListedObject.of(location)
          : ListedObject.withContent(location, stored.metadata(), stored.data().clone());
    });
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    try {
      return new URI("memory", name, "/" + location.value(), null);
    } catch (URISyntaxException e) {
      throw new IOException("cannot form a URI for " + location.value(), e);
    }
  }

  @Override
  protected void closeStorage() {
    synchronized (writeLock) {
      locations.clear();
      objects.clear();
      usedBytes = 0;
    }
  }

  /**
   * Flips one bit of the stored bytes of {@code location}, keeping its recorded metadata: damage
   * behind the store's back, for the contract suite's corruption checks (rules R2 and R4).
   *
   * @throws IllegalArgumentException if nothing is stored there, or the object is empty
   */
  @com.google.common.annotations.VisibleForTesting
  void damage(String location) {
    damage(location, -1);
  }

  /**
   * Flips the lowest bit of the byte at {@code index} of the stored bytes of {@code location} (the
   * middle one if {@code index} is negative), keeping its recorded metadata.
   *
   * @throws IllegalArgumentException if nothing is stored there, or the object is empty
   * @throws ArrayIndexOutOfBoundsException if {@code index} is past the object's end
   */
  @com.google.common.annotations.VisibleForTesting
  void damage(String location, int index) {
    synchronized (writeLock) {
      Stored stored = objects.get(location);
      if (stored == null || stored.data.length == 0) {
        throw new IllegalArgumentException("nothing to damage at " + location);
      }
      byte[] copy = stored.data.clone();
      copy[index < 0 ? copy.length / 2 : index] ^= 1;
      objects.put(location, new Stored(copy, stored.metadata));
    }
  }

  /** Names the instance, for messages: {@code MemoryStorage[store-N]}. */
  @Override
  public String toString() {
    return "MemoryStorage[" + name + "]";
  }

  /** A stored object: its bytes, never handed out, and their metadata. */
  private record Stored(byte[] data, Metadata metadata) {}
}
