package org.stowage.filesystem;

import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Objects;

/**
 * One version of an object file, as far as the file's attributes can tell versions apart: the
 * file's identity (on Unix its device and inode numbers), its size and its last-modified time.
 *
 * <p>Two reads of the attributes that give equal versions are taken to describe the same bytes,
 * unless someone changed the bytes in place and then set the last-modified time back. Metadata
 * records compare against it (rule R3).
 *
 * @param fileKey the file's identity as text ({@link BasicFileAttributes#fileKey()}), or {@code
 *     null} where the platform has none (Windows)
 * @param size the file's size in bytes
 * @param modified the file's last-modified time, to the precision the filesystem keeps
 */
record FileVersion(String fileKey, long size, Instant modified) {

  FileVersion {
    Objects.requireNonNull(modified, "modified");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
  }

  /** The version described by {@code attributes}. */
  static FileVersion of(BasicFileAttributes attributes) {
    Object key = attributes.fileKey();
    String text = key == null ? null : key.toString();
    if (text != null && (text.isEmpty() || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0)) {
      // Never seen on a real platform; such a key could not be written on one record line.
      text = null;
    }
    return new FileVersion(text, attributes.size(), attributes.lastModifiedTime().toInstant());
  }

  /**
   * Whether {@code other} is certainly a different file, not this one changed: both have an
   * identity and the identities differ.
   */
  boolean isOtherFile(FileVersion other) {
    return fileKey != null && other.fileKey != null && !fileKey.equals(other.fileKey);
  }

  /** Whether size and last-modified time are equal (the identity is not compared). */
  boolean sameContentStamp(FileVersion other) {
    return size == other.size && modified.equals(other.modified);
  }

  /** Describes the version for messages. */
  String describe() {
    return size + " bytes, last modified " + modified
        + (fileKey == null ? "" : ", file " + fileKey);
  }
}
