package org.stowage.examples;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;

/**
 * A tutorial backend: every object lives in one zip archive. It shows how to write your own
 * {@link ExternalStorage}, and it passes the contract suite ({@code ZipStorageContractTest}).
 *
 * <h2>How to write a backend</h2>
 *
 * <ol>
 *   <li>Extend {@link ExternalStorage} and implement its protected hooks. Each receives a
 *       {@link Location} the core has already validated (rules L1 to L5); never check it again.
 *   <li>In {@link #writeObject}, read the {@link ObjectSource} to its end, then ask it for {@link
 *       ObjectSource#metadata()}: the core hashed the bytes while you read them (S1). Make the
 *       object visible in one atomic step (S2), and if {@code replaceExisting} is false, only if
 *       nothing is there (S5: return false otherwise).
 *   <li>Report "absent" with {@code null} or {@code false}, and failures with {@link IOException}:
 *       the core turns them into the typed exceptions (T2).
 *   <li>List in UTF-8 byte order ({@link Location#UTF8_ORDER}), lazily if you can (I2, I3).
 *   <li>Override {@link #toString()} to name your backend and its root in error messages.
 *   <li>Run the contract suite: extend {@code org.stowage.testkit.ExternalStorageContract}.
 * </ol>
 *
 * <h2>This backend</h2>
 *
 * <p>Object {@code a/b} is the zip entry {@code a/b}; its MD5 and size are kept in a second entry,
 * {@code .stowage-meta/a/b}, so that {@code getMetadata} reads no object (R3). A write copies the
 * archive into a new temporary archive next to it, with the one entry replaced, and moves that
 * over the old one atomically: a reader, or a crash, sees the old archive or the new one, never a
 * mix (S2). That makes every write cost a copy of the whole archive, so this backend suits small
 * archives: a run's summary files, say, shipped as one file. A read-write lock orders operations
 * within one process; several processes must not share one archive.
 */
public final class ZipStorage extends ExternalStorage {
  private static final String META = ".stowage-meta/";

  private final Path archive;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();

  /** A store in the zip file {@code archive}, created empty if missing. */
  public ZipStorage(Path archive) throws IOException {
    this.archive = archive.toAbsolutePath();
    if (Files.notExists(this.archive)) {
      Files.createDirectories(this.archive.getParent());
      rewrite(null, null, null);
    }
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    // Spool the content first, outside the lock: the source may be slow, and other operations
    // should not wait for it. The core hashes while we read.
    Path spool = Files.createTempFile(archive.getParent(), ".stowage-zip-", ".spool");
    try {
      try (OutputStream out = Files.newOutputStream(spool)) {
        source.transferTo(out);
      }
      Metadata metadata = source.metadata();
      lock.writeLock().lock();
      try {
        if (!replaceExisting && objectExists(location)) {
          return false;
        }
        rewrite(location.value(), spool, metadata);
        return true;
      } finally {
        lock.writeLock().unlock();
      }
    } finally {
      Files.deleteIfExists(spool);
    }
  }

  @Override
  protected InputStream openObject(Location location) throws IOException {
    lock.readLock().lock();
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      ZipEntry entry = zip.getEntry(location.value());
      if (entry == null || entry.isDirectory()) {
        return null;
      }
      // The archive may be replaced once the lock is released, so hand out a copy. Objects here
      // are small; a backend for large objects would stream from a file it keeps open instead.
      try (InputStream in = zip.getInputStream(entry)) {
        return new ByteArrayInputStream(in.readAllBytes());
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  protected boolean objectExists(Location location) throws IOException {
    return objectMetadata(location) != null;
  }

  @Override
  protected Metadata objectMetadata(Location location) throws IOException {
    lock.readLock().lock();
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      ZipEntry entry = zip.getEntry(META + location.value());
      if (entry == null) {
        return null;
      }
      try (InputStream in = zip.getInputStream(entry)) {
        String[] fields = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        return new Metadata(fields[0], Long.parseLong(fields[1]));
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  protected boolean deleteObject(Location location) throws IOException {
    lock.writeLock().lock();
    try {
      if (!objectExists(location)) {
        return false;
      }
      rewrite(location.value(), null, null);
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) throws IOException {
    List<String> locations = new ArrayList<>();
    lock.readLock().lock();
    try (ZipFile zip = new ZipFile(archive.toFile())) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (!name.startsWith(META) && !name.endsWith("/") && name.startsWith(prefix)) {
          locations.add(name);
        }
      }
    } finally {
      lock.readLock().unlock();
    }
    // The archive's central directory is read whole anyway, so one sorted list is the page.
    locations.sort(Location.UTF8_ORDER);
    return locations.stream();
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    // A jar: URI names an entry inside an archive; the entry's path is percent-encoded.
    try {
      String entry = new URI(null, null, "/" + location.value(), null).getRawPath();
      return URI.create("jar:" + archive.toUri() + "!" + entry);
    } catch (java.net.URISyntaxException e) {
      throw new IOException("cannot form a URI for " + location.value(), e);
    }
  }

  @Override
  public String toString() {
    return "ZipStorage[" + archive + "]";
  }

  /**
   * Writes a new archive with {@code location} replaced by {@code content} (or removed, if {@code
   * content} is null), and moves it over the old one atomically. Called under the write lock.
   */
  private void rewrite(String location, Path content, Metadata metadata) throws IOException {
    Path next = Files.createTempFile(archive.getParent(), ".stowage-zip-", ".tmp");
    try {
      try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(next))) {
        if (Files.exists(archive) && Files.size(archive) > 0) {
          try (ZipFile old = new ZipFile(archive.toFile())) {
            for (Enumeration<? extends ZipEntry> e = old.entries(); e.hasMoreElements(); ) {
              ZipEntry entry = e.nextElement();
              if (location != null && (entry.getName().equals(location) || entry.getName().equals(META + location))) {
                continue;
              }
              out.putNextEntry(new ZipEntry(entry.getName()));
              try (InputStream in = old.getInputStream(entry)) {
                in.transferTo(out);
              }
              out.closeEntry();
            }
          }
        }
        if (content != null) {
          out.putNextEntry(new ZipEntry(location));
          Files.copy(content, out);
          out.closeEntry();
          out.putNextEntry(new ZipEntry(META + location));
          out.write((metadata.md5() + " " + metadata.size() + "\n").getBytes(StandardCharsets.UTF_8));
          out.closeEntry();
        }
      }
      try {
        Files.move(next, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the filesystem of " + archive + " cannot replace a file atomically", e);
      }
    } finally {
      Files.deleteIfExists(next);
    }
  }
}
