package org.stowage.filesystem;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Test helpers that work on the files under a root behind the storage's back. */
final class Disk {
  private Disk() {}

  /** Flips one bit of the byte at {@code offset} in place and restores the last-modified time. */
  static void flipByteKeepingTime(Path file, long offset) throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ 0x01);
    }
    Files.setLastModifiedTime(file, modified);
  }

  /**
   * Flips a byte of the object at {@code location} (time set back) and checks what must follow:
   * its record is kept as it is ({@code getMetadata} cannot tell), and {@code verify}, a read of
   * {@code loadObject} and a verified {@code loadBytes} each fail with {@code
   * ChangedExternalResourceException}. Returns the failure of {@code verify}.
   */
  static org.stowage.ChangedExternalResourceException assertFlipCaught(
      FileStorage storage, String location, org.stowage.Metadata stored, long offset) throws IOException {
    flipByteKeepingTime(storage.root().resolve(location), offset);
    org.junit.jupiter.api.Assertions.assertEquals(stored, storage.getMetadata(location),
        "size and time unchanged: the record is kept, and getMetadata cannot tell");
    org.stowage.ChangedExternalResourceException verified = org.junit.jupiter.api.Assertions.assertThrows(
        org.stowage.ChangedExternalResourceException.class, () -> storage.verify(location));
    org.junit.jupiter.api.Assertions.assertThrows(org.stowage.ChangedExternalResourceException.class, () -> {
      try (org.stowage.StoredObject object = storage.loadObject(location)) {
        object.stream().readAllBytes();
      }
    });
    org.junit.jupiter.api.Assertions.assertThrows(org.stowage.ChangedExternalResourceException.class,
        () -> storage.loadBytes(location, stored));
    return verified;
  }

  /** The paths under {@code root} of temporary files, relative to it. */
  static List<String> tempFiles(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> p.getFileName().toString().startsWith(FileStorage.TEMP_PREFIX))
          .map(p -> root.relativize(p).toString())
          .collect(Collectors.toList());
    }
  }

  /** The entries of {@code dir} that are not reserved, sorted. */
  static List<String> visibleEntries(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".stowage"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  static boolean exists(Path path) {
    return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Deterministic pseudo-random content. */
  static byte[] content(long seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  static String md5(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(utf8(s)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Where the metadata record of {@code location} lives under {@code root}. */
  static Path recordOf(Path root, String location) {
    String hash = sha256(location);
    return root.resolve(".stowage").resolve("meta").resolve(hash.substring(0, 2)).resolve(hash);
  }

  /** The number of descriptors this process has open (Linux), the count's own included. */
  static long openDescriptors() throws IOException {
    try (java.util.stream.Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
      return descriptors.count();
    }
  }

  /** Moves the last-modified time of {@code file} 5 seconds on, as a tool touching it would. */
  static void touch(Path file) throws IOException {
    Files.setLastModifiedTime(file,
        java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5000));
  }

  /** The raw record attribute of {@code file} (not following a link), or {@code null}. */
  static byte[] recordAttributeBytes(Path file) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    ByteBuffer buffer = ByteBuffer.allocate(4096);
    try {
      view.read(MetadataRecords.ATTRIBUTE_NAME, buffer);
    } catch (FileSystemException e) {
      if (String.valueOf(e.getReason()).contains("No data available")) {
        return null;
      }
      throw e;
    }
    return java.util.Arrays.copyOf(buffer.array(), buffer.position());
  }

  /** The record in the attribute of {@code file}, decoded, or {@code null} if it has none. */
  static MetadataRecords.Entry recordAttribute(Path file) throws IOException {
    byte[] bytes = recordAttributeBytes(file);
    return bytes == null ? null : MetadataRecords.decodeAttribute(ByteBuffer.wrap(bytes));
  }

  /** Sets the record attribute of {@code file} to {@code bytes}, as a tool could. */
  static void setRecordAttribute(Path file, byte[] bytes) throws IOException {
    Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .write(MetadataRecords.ATTRIBUTE_NAME, ByteBuffer.wrap(bytes));
  }

  /** Sets the record attribute of {@code file} to {@code entry}. */
  static void setRecordAttribute(Path file, MetadataRecords.Entry entry) throws IOException {
    ByteBuffer encoded = MetadataRecords.encodeAttribute(entry);
    byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);
    setRecordAttribute(file, bytes);
  }

  /**
   * The metadata record of {@code location}, wherever it is, as text: the object's record
   * attribute (described) if it has one, else its record file; {@code null} if neither is there.
   */
  static String recordText(Path root, String location) throws IOException {
    Path object = root.resolve(location);
    if (Files.isRegularFile(object, LinkOption.NOFOLLOW_LINKS)) {
      MetadataRecords.Entry attribute = recordAttribute(object);
      if (attribute != null) {
        return attribute.toString();
      }
    }
    Path file = recordOf(root, location);
    return Files.isRegularFile(file) ? Files.readString(file) : null;
  }

  /** Makes the record of {@code location}, wherever it is, say {@code md5} instead. */
  static void fakeRecordMd5(Path root, String location, String md5) throws IOException {
    Path object = root.resolve(location);
    MetadataRecords.Entry entry = recordAttribute(object);
    if (entry != null) {
      setRecordAttribute(object, new MetadataRecords.Entry(
          null, new org.stowage.Metadata(md5, entry.metadata().size()), entry.version()));
    } else {
      Path file = recordOf(root, location);
      String text = Files.readString(file);
      Files.writeString(file, text.replaceFirst("md5=[0-9a-f]{32}", "md5=" + md5));
    }
  }
}
