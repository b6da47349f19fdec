package org.stowage.filesystem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.Location;

/**
 * A lazy listing of the objects under a root whose locations start with a prefix, in ascending
 * UTF-8 byte order of the whole location (rules I1 to I4).
 *
 * <p>The walk is depth-first. It holds one sorted list of entries per directory on the current
 * path, so its memory is bounded by the depth of the tree times the size of the largest
 * directory, never by the number of objects. Each directory is read whole and its directory
 * stream closed before the first of its entries is passed on, so nothing is left open between
 * calls.
 *
 * <p>Sorting each directory's names is not enough to sort whole locations: a directory {@code a}
 * holding {@code a/b} must come after a file {@code a-c}, because {@code -} (0x2D) sorts before
 * {@code /} (0x2F). So a directory's entry sorts under the key {@code name + "/"} and a file's
 * under its name: the order of those keys is the order of every location below them.
 *
 * <p>The prefix chooses where the walk starts: its part up to the last {@code /} names a
 * directory, and only that directory's entries whose names start with the rest are walked. So
 * {@code foo_dir/a} reads only {@code foo_dir} and the subtrees of its entries that start with
 * {@code a}.
 *
 * <p>Entries whose names start with {@code .stowage} (temporary files, metadata) are skipped, as
 * are entries that are neither regular files nor directories. Symbolic links are followed when
 * they lead inside the root, outside the reserved entries, and (for directories) not back to a
 * directory already on the current path; otherwise they are skipped with a warning. Entries that
 * vanish while the walk runs are skipped (rule I4).
 */
final class Listing extends Spliterators.AbstractSpliterator<String> {
  private static final Logger LOG = LoggerFactory.getLogger(Listing.class);
  private static final Comparator<Entry> ORDER =
      Comparator.comparing(Entry::key, Location.UTF8_ORDER);

  /**
   * An entry of a directory.
   *
   * @param key its name, followed by {@code /} for a directory
   * @param path where it is (for a link, the link's real target)
   */
  private record Entry(String key, Path path) {
    boolean isDirectory() {
      return key.endsWith("/");
    }
  }

  /** A directory on the current path of the walk, and how far its entries have been walked. */
  private static final class Frame {
    /** Its real path. */
    final Path path;
    /** The location prefix of its entries, empty or ending with {@code /}. */
    final String location;
    /** Its entries, sorted; those already passed on are cleared. */
    final Entry[] entries;
    /** The index of the next entry. */
    int next;

    Frame(Path path, String location, Entry[] entries) {
      this.path = path;
      this.location = location;
      this.entries = entries;
    }
  }

  private final Resolver resolver;
  private final String storage;
  private final Deque<Frame> stack = new ArrayDeque<>();
  /**
   * The bound every listed location must sort after (rule I7), or null: set to null once a
   * location after it has been passed on, since every later one sorts after that.
   */
  private String startAfter;
  private boolean closed;

  /**
   * Starts a listing; reads the directory the prefix names, if it exists.
   *
   * @param prefix a valid listing prefix (rule L5)
   * @param startAfter list only locations that sort after this (rule I7); empty for all
   */
  Listing(Resolver resolver, String storage, String prefix, String startAfter) throws IOException {
    super(Long.MAX_VALUE, ORDERED | DISTINCT | SORTED | NONNULL);
    this.resolver = resolver;
    this.storage = storage;
    this.startAfter = startAfter.isEmpty() ? null : startAfter;
    int slash = prefix.lastIndexOf('/');
    String directoryPart = prefix.substring(0, slash + 1);
    String namePrefix = prefix.substring(slash + 1);
    List<String> segments =
        directoryPart.isEmpty()
            ? List.of()
            : Arrays.asList(directoryPart.substring(0, slash).split("/", -1));
    Path start = resolver.directory(segments, this::skippedLink);
    if (start != null) {
      Entry[] entries = read(start, directoryPart, namePrefix);
      if (entries.length > 0) {
        stack.push(new Frame(start, directoryPart, entries));
      }
    }
  }

  @Override
  public boolean tryAdvance(Consumer<? super String> action) {
    while (!closed && !stack.isEmpty()) {
      Frame frame = stack.peek();
      if (frame.next >= frame.entries.length) {
        stack.pop();
        continue;
      }
      Entry entry = frame.entries[frame.next];
      frame.entries[frame.next++] = null; // passed on: let it be collected
      String location = frame.location + entry.key();
      if (!entry.isDirectory()) {
        startAfter = null; // passed: every location from here on sorts after it
        action.accept(location);
        return true;
      }
      if (onStack(entry.path())) {
        skippedLink(
            location.substring(0, location.length() - 1),
            "leads back to a directory the listing is already in (a cycle of symbolic links)");
        continue;
      }
      Entry[] children;
      try {
        children = read(entry.path(), location, "");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (children.length > 0) {
        stack.push(new Frame(entry.path(), location, children));
      }
    }
    return false;
  }

  @Override
  public Comparator<? super String> getComparator() {
    return Location.UTF8_ORDER;
  }

  /** Ends the listing and drops what it holds. */
  void close() {
    closed = true;
    stack.clear();
  }

  /**
   * The entries of {@code dir} (whose location prefix is {@code location}) whose names start with
   * {@code namePrefix}, sorted; empty if the directory has vanished.
   */
  private Entry[] read(Path dir, String location, String namePrefix) throws IOException {
    List<Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path path : stream) {
        String name = path.getFileName().toString();
        if (name.startsWith(Location.RESERVED_PREFIX) || !name.startsWith(namePrefix)
            || startAfter != null && wholeSubtreeBefore(location + name + "/")) {
          continue;
        }
        Entry entry = entry(path, name, location);
        if (entry != null && (startAfter == null || entry.isDirectory()
            || Location.UTF8_ORDER.compare(location + entry.key(), startAfter) > 0)) {
          entries.add(entry);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return new Entry[0]; // vanished, or replaced by a file, meanwhile (rule I4)
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
    Entry[] sorted = entries.toArray(new Entry[0]);
    Arrays.sort(sorted, ORDER);
    return sorted;
  }

  /**
   * Whether every location that starts with {@code directoryKey} (a directory's location, ending
   * in {@code /}) sorts before or at {@link #startAfter}: those that do not start with the bound
   * and sort before it. Then a file of the same name (which sorts before its directory key) does
   * too, so the entry is skipped before it is examined.
   */
  private boolean wholeSubtreeBefore(String directoryKey) {
    return !startAfter.startsWith(directoryKey)
        && Location.UTF8_ORDER.compare(directoryKey, startAfter) < 0;
  }

  /** The entry for {@code path}, or {@code null} if it is not an object or a directory. */
  private Entry entry(Path path, String name, String location) throws IOException {
    BasicFileAttributes attributes =
        Resolver.attributesOrNull(path, LinkOption.NOFOLLOW_LINKS);
    Path target = path;
    if (attributes != null && attributes.isSymbolicLink()) {
      Resolver.Link link = resolver.follow(path);
      if (link.problem() != null) {
        skippedLink(location + name, link.problem());
        return null;
      }
      target = link.target();
      attributes = Resolver.attributesOrNull(target);
    }
    if (attributes == null) {
      return null; // vanished meanwhile (rule I4)
    }
    if (attributes.isDirectory()) {
      return new Entry(name + "/", target);
    }
    if (attributes.isRegularFile()) {
      return new Entry(name, target);
    }
    return null;
  }

  private boolean onStack(Path dir) {
    for (Frame frame : stack) {
      if (frame.path.equals(dir)) {
        return true;
      }
    }
    return false;
  }

  private void skippedLink(String location, String problem) {
    LOG.warn(
        "{}: listing skips {}: it {} (rule L4)", storage, FileStorage.quote(location), problem);
  }
}
