package org.stowage.testkit.reference;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;

/**
 * A plain filesystem backend for the kit's own tests: one file per object, the location's
 * segments as directories, every operation under one lock per root (shared by all instances in the
 * JVM), the metadata recorded when an object is stored (in memory, shared by all instances over
 * one root in the JVM; computed from the file only for a file the store did not write). Temporary
 * files live in a reserved directory that listings skip. Simple rather than fast; it exists so that the kit's
 * file-specific checks (L4, D1's directories, {@code file:} URIs, shared roots) run against
 * something known to be right.
 */
public final class ReferenceFileStorage extends ExternalStorage {
  private static final ConcurrentHashMap<Path, Object> LOCKS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Path, Map<String, Metadata>> RECORDS =
      new ConcurrentHashMap<>();
  private static final String TEMP_PREFIX = Location.RESERVED_PREFIX + "-tmp-";

  private final Path root;
  private final Object lock;
  private final Map<String, Metadata> records;
  private final Path temps;
  private final boolean refuseLinks;

  /** A storage over {@code root}, which is created if needed. */
  public ReferenceFileStorage(Path root) throws IOException {
    this(root, true);
  }

  /**
   * A storage over {@code root}; with {@code refuseLinks} false, a broken one that follows
   * symbolic links to directories out of the root (rule L4), for the kit's own tests.
   */
  ReferenceFileStorage(Path root, boolean refuseLinks) throws IOException {
    this.refuseLinks = refuseLinks;
    Files.createDirectories(root);
    this.root = root.toRealPath();
    this.lock = LOCKS.computeIfAbsent(this.root, k -> new Object());
    this.records = RECORDS.computeIfAbsent(this.root, k -> new ConcurrentHashMap<>());
    this.temps = Files.createDirectories(this.root.resolve(TEMP_PREFIX + "files"));
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    Path temp = Files.createTempFile(temps, TEMP_PREFIX, "");
    try {
      try (OutputStream out = Files.newOutputStream(temp)) {
        source.transferTo(out);
      }
      synchronized (lock) {
        Path target = resolve(location);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException("a directory is in the way: " + target);
        }
        if (!replaceExisting && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
        try {
          Files.createDirectories(target.getParent());
        } catch (FileAlreadyExistsException e) {
          throw new IOException("an object is in the way of the directory " + e.getFile(), e);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        records.put(location.value(), source.metadata());
        return true;
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  protected InputStream openObject(Location location) throws IOException {
    synchronized (lock) {
      Path file = resolve(location);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      return Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
    }
  }

  @Override
  protected boolean objectExists(Location location) throws IOException {
    synchronized (lock) {
      return Files.isRegularFile(resolve(location), LinkOption.NOFOLLOW_LINKS);
    }
  }

  @Override
  protected Metadata objectMetadata(Location location) throws IOException {
    synchronized (lock) {
      Path file = resolve(location);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      Metadata recorded = records.get(location.value());
      if (recorded != null) {
        return recorded;
      }
      MessageDigest md5 = md5();
      long size = 0;
      try (InputStream in = new DigestInputStream(
          Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), md5)) {
        byte[] buffer = new byte[65536];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          size += n;
        }
      }
      return new Metadata(HexFormat.of().formatHex(md5.digest()), size);
    }
  }

  @Override
  protected boolean deleteObject(Location location) throws IOException {
    synchronized (lock) {
      Path file = resolve(location);
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      Files.delete(file);
      records.remove(location.value());
      for (Path dir = file.getParent(); !dir.equals(root); dir = dir.getParent()) {
        try {
          Files.delete(dir);
        } catch (DirectoryNotEmptyException e) {
          break;
        }
      }
      return true;
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) throws IOException {
    List<String> found = new ArrayList<>();
    synchronized (lock) {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
          return !dir.equals(root) && dir.getFileName().toString()
              .startsWith(Location.RESERVED_PREFIX) ? FileVisitResult.SKIP_SUBTREE
              : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path p, BasicFileAttributes attributes) {
          if (!attributes.isRegularFile()) {
            return FileVisitResult.CONTINUE;
          }
          List<String> segments = new ArrayList<>();
          root.relativize(p).forEach(s -> segments.add(s.toString()));
          if (segments.stream().noneMatch(s -> s.startsWith(Location.RESERVED_PREFIX))) {
            String location = String.join("/", segments);
            if (location.startsWith(prefix)) {
              found.add(location);
            }
          }
          return FileVisitResult.CONTINUE;
        }
      });
    }
    found.sort(Location.UTF8_ORDER);
    return found.stream();
  }

  @Override
  protected URI objectUri(Location location) {
    Path path = root;
    for (String segment : location.segments()) {
      path = path.resolve(segment);
    }
    return path.toUri();
  }

  @Override
  public String toString() {
    return "ReferenceFileStorage[" + root + "]";
  }

  /** The object's path, refusing any symbolic link on the way (rule L4). */
  private Path resolve(Location location) throws IOException {
    Path path = root;
    for (String segment : location.segments()) {
      path = path.resolve(segment);
      if (refuseLinks && Files.isSymbolicLink(path)) {
        throw new IOException(
            "refusing to follow the symbolic link " + path + " (rule L4)");
      }
    }
    return path;
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
