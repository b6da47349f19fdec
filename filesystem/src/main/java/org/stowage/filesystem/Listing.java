package org.stowage.filesystem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
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
import org.stowage.ListedObject;
import org.stowage.Location;

/**
 * A lazy listing of the objects under a root whose locations start with a prefix, in ascending
 * UTF-8 byte order of the whole location (rules I1 to I4).
 *
 * <p>The walk is depth-first. It holds one sorted list of entries per directory on the current
 * path, so its memory is bounded by the depth of the tree times the size of the largest
 * directory, never by the number of objects. Each directory is read whole, each entry's
 * attributes read relative to it ({@code fstatat}, where the platform has a {@link
 * SecureDirectoryStream}), and its directory stream closed before the first of its entries is
 * passed on, so a listing of locations leaves nothing open between calls.
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
 *
 * <p>A listing that reads content ({@link #objects}, rule I8) keeps each directory on the current
 * path open while its entries are passed on (two descriptors per level of the tree, the JDK's
 * directory stream and the duplicate it keeps for calls relative to it; all closed by {@link
 * #close()} and as the walk leaves each directory), and hands each small regular file,
 * found by its name in that open directory, to a {@link ContentReader}: so the file's bytes are
 * read relative to the directory the walk read, with no link followed on the way. A listing
 * abandoned without {@link #close()} keeps those directories open until the process ends.
 */
final class Listing extends Spliterators.AbstractSpliterator<String> {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(Listing.class);
  }
  private static final Comparator<Entry> ORDER =
      Comparator.comparing(Entry::key, Location.UTF8_ORDER);

  /**
   * An entry of a directory.
   *
   * @param key its name, followed by {@code /} for a directory
   * @param path where it is (for a link, the link's real target)
   * @param small the attributes of a regular file (not a link) small enough to be read with the
   *     listing, when the listing reads content; otherwise null
   */
  private record Entry(String key, Path path, BasicFileAttributes small) {
    boolean isDirectory() {
      return key.endsWith("/");
    }
  }

  /** Reads a small object file for a listing that reads content (rule I8). */
  @FunctionalInterface
  interface ContentReader {
    /**
     * The object at {@code location}: with its content and recorded metadata if the reader can
     * vouch that they are of one version, otherwise without content. Never throws for the object
     * itself: whatever goes wrong leaves it without content, for the caller's ordinary read.
     *
     * @param location the object's location
     * @param directory the open directory the file was listed in
     * @param name the file's name in {@code directory}, a one-segment relative path (passed apart
     *     from {@code path} so that a test can make the two disagree, as a rename between the
     *     attribute read and the open does)
     * @param path the file's full path
     * @param attributes the file's attributes, as the listing read them without following links
     */
    ListedObject read(String location, SecureDirectoryStream<Path> directory, Path name, Path path,
        BasicFileAttributes attributes);
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
    /** The directory, kept open while its entries are passed on, when the listing reads content. */
    final SecureDirectoryStream<Path> open;

    Frame(Path path, String location, Entry[] entries, SecureDirectoryStream<Path> open) {
      this.path = path;
      this.location = location;
      this.entries = entries;
      this.open = open;
    }

    void close() {
      if (open != null) {
        try {
          open.close();
        } catch (IOException e) {
          Log.LOG.debug("cannot close the directory {}: {}", path, e.toString());
        }
      }
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
  /** Reads small files with the listing (rule I8), or null for a listing of locations. */
  private final ContentReader reader;
  /** The largest file {@link #reader} is given. */
  private final long maxBytes;

  /**
   * Starts a listing; reads the directory the prefix names, if it exists.
   *
   * @param prefix a valid listing prefix (rule L5)
   * @param startAfter list only locations that sort after this (rule I7); empty for all
   */
  Listing(Resolver resolver, String storage, String prefix, String startAfter) throws IOException {
    this(resolver, storage, prefix, startAfter, null, 0);
  }

  /**
   * Starts a listing that hands each regular file of at most {@code maxBytes} bytes to {@code
   * reader} as it is passed on by {@link #objects()} (rule I8).
   *
   * @param reader reads the small files, or null to read none
   */
  Listing(Resolver resolver, String storage, String prefix, String startAfter, ContentReader reader,
      long maxBytes) throws IOException {
    super(Long.MAX_VALUE, ORDERED | DISTINCT | SORTED | NONNULL);
    this.resolver = resolver;
    this.storage = storage;
    this.startAfter = startAfter.isEmpty() ? null : startAfter;
    this.reader = reader;
    this.maxBytes = maxBytes;
    int slash = prefix.lastIndexOf('/');
    String directoryPart = prefix.substring(0, slash + 1);
    String namePrefix = prefix.substring(slash + 1);
    List<String> segments =
        directoryPart.isEmpty()
            ? List.of()
            : Arrays.asList(directoryPart.substring(0, slash).split("/", -1));
    Path start = resolver.directory(segments, this::skippedLink);
    if (start != null) {
      push(start, directoryPart, namePrefix);
    }
  }

  @Override
  public boolean tryAdvance(Consumer<? super String> action) {
    PassedFile file = nextFile();
    if (file == null) {
      return false;
    }
    action.accept(file.location());
    return true;
  }

  /**
   * The same walk as objects (rule I8): each file with the content {@link ContentReader} read, if
   * this listing was given one and the file is small enough, else without content. Use either
   * this or the listing itself, not both.
   */
  Spliterator<ListedObject> objects() {
    return new Spliterators.AbstractSpliterator<ListedObject>(Long.MAX_VALUE, ORDERED | DISTINCT | NONNULL) {
      @Override
      public boolean tryAdvance(Consumer<? super ListedObject> action) {
        PassedFile file = nextFile();
        if (file == null) {
          return false;
        }
        Entry entry = file.entry();
        action.accept(entry.small() == null // set only with a reader, in a directory kept open
            ? ListedObject.of(file.location())
            : reader.read(file.location(), file.directory(), entry.path().getFileName(), entry.path(),
                entry.small()));
        return true;
      }
    };
  }

  /**
   * A file the walk passed on: its location, its entry, and the directory holding it if the
   * listing keeps it open (else null).
   */
  private record PassedFile(String location, Entry entry, SecureDirectoryStream<Path> directory) {}

  /** Walks to the next file and returns it, or null at the end. */
  private PassedFile nextFile() {
    while (!closed && !stack.isEmpty()) {
      Frame frame = stack.peek();
      if (frame.next >= frame.entries.length) {
        stack.pop().close();
        continue;
      }
      Entry entry = frame.entries[frame.next];
      frame.entries[frame.next++] = null; // passed on: let it be collected
      String location = frame.location + entry.key();
      if (!entry.isDirectory()) {
        startAfter = null; // passed: every location from here on sorts after it
        return new PassedFile(location, entry, frame.open);
      }
      if (onStack(entry.path())) {
        skippedLink(
            location.substring(0, location.length() - 1),
            "leads back to a directory the listing is already in (a cycle of symbolic links)");
        continue;
      }
      try {
        push(entry.path(), location, "");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return null;
  }

  @Override
  public Comparator<? super String> getComparator() {
    return Location.UTF8_ORDER;
  }

  /** Ends the listing, closes the directories it holds open and drops what it holds. */
  void close() {
    closed = true;
    while (!stack.isEmpty()) {
      stack.pop().close();
    }
  }

  /**
   * Reads {@code dir} (whose location prefix is {@code location}) and pushes its entries whose
   * names start with {@code namePrefix}, sorted, unless there are none or it has vanished; skips
   * it, with a warning, if its path is too long to open. A listing that reads content keeps the
   * directory open in its frame.
   */
  private void push(Path dir, String location, String namePrefix) throws IOException {
    DirectoryStream<Path> stream;
    try {
      stream = Files.newDirectoryStream(dir);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return; // vanished, or replaced by a file, meanwhile (rule I4)
    } catch (FileSystemException e) {
      if (!Resolver.nameTooLong(e)) {
        throw e;
      }
      // Made by hand below a path of PATH_MAX bytes: no path names it, so the walk cannot open
      // it (and no valid location is that long on a usual root).
      Log.LOG.warn("{}: listing skips {}: its path is longer than the system allows", storage,
          FileStorage.quote(location));
      return;
    }
    boolean keepOpen = false;
    try {
      Entry[] entries = read(stream, location, namePrefix);
      if (entries.length > 0) {
        keepOpen = keepsOpen(stream);
        @SuppressWarnings("unchecked") // a directory stream of paths is one of paths
        SecureDirectoryStream<Path> open = keepOpen ? (SecureDirectoryStream<Path>) stream : null;
        stack.push(new Frame(dir, location, entries, open));
      }
    } finally {
      if (!keepOpen) {
        stream.close();
      }
    }
  }

  /**
   * The entries of the open directory {@code stream} (whose location prefix is {@code location})
   * whose names start with {@code namePrefix}, sorted.
   */
  private Entry[] read(DirectoryStream<Path> stream, String location, String namePrefix) throws IOException {
    List<Entry> entries = new ArrayList<>();
    try {
      for (Path path : stream) {
        String name = path.getFileName().toString();
        if (name.startsWith(Location.RESERVED_PREFIX) || !name.startsWith(namePrefix)
            || startAfter != null && wholeSubtreeBefore(location + name + "/")) {
          continue;
        }
        Entry entry = entry(stream, path, name, location);
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

  /**
   * Whether this listing keeps {@code stream}'s directory open while it passes its entries on: it
   * reads content, and the platform reads relative to an open directory. Only then are small files
   * marked for reading.
   */
  private boolean keepsOpen(DirectoryStream<Path> stream) {
    return reader != null && stream instanceof SecureDirectoryStream;
  }

  /**
   * The entry for {@code path}, listed by {@code stream}, or {@code null} if it is not an object or
   * a directory. Its attributes are read relative to the open directory where the platform allows
   * ({@code fstatat}): the same answer as {@code lstat} of the whole path, without looking up every
   * directory on the way again.
   */
  private Entry entry(DirectoryStream<Path> stream, Path path, String name, String location)
      throws IOException {
    BasicFileAttributes attributes = stream instanceof SecureDirectoryStream<Path> open
        ? attributesInOrNull(open, path)
        : Resolver.attributesOrNull(path, LinkOption.NOFOLLOW_LINKS);
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
      return new Entry(name + "/", target, null);
    }
    if (attributes.isRegularFile()) {
      boolean small = keepsOpen(stream) && target == path && attributes.size() <= maxBytes;
      return new Entry(name, target, small ? attributes : null);
    }
    return null;
  }

  /**
   * The attributes of {@code path}, whose name is in {@code directory}, links not followed; null
   * if it is gone (or its path is too long, as {@link Resolver#attributesOrNull}). Any other
   * failure is looked at again through the whole path, so that its exception names the file, not
   * only its name.
   */
  private static BasicFileAttributes attributesInOrNull(SecureDirectoryStream<Path> directory, Path path)
      throws IOException {
    try {
      return directory
          .getFileAttributeView(path.getFileName(), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
    } catch (NoSuchFileException | NotDirectoryException e) {
      return null;
    } catch (IOException e) {
      return Resolver.attributesOrNull(path, LinkOption.NOFOLLOW_LINKS);
    }
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
    Log.LOG.warn(
        "{}: listing skips {}: it {} (rule L4)", storage, FileStorage.quote(location), problem);
  }
}
