package org.stowage.staging;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalResourceException;
import org.stowage.cas.Digest;

/**
 * A local file of content keys, written while a store is listed and read back once the
 * references are all known: 33 bytes per SHA-256 key (a tag byte and the raw hash), so that a
 * listing of millions of content objects costs disk, not heap. Thread-safe: a scan's workers
 * add to it at once.
 */
final class ContentSpool implements AutoCloseable {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(ContentSpool.class);
  }
  private final Path file;
  private final DataOutputStream out;

  ContentSpool(Path directory, String what) {
    try {
      this.file = Files.createTempFile(directory, "stowage-" + what + "-", ".spool");
      this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
    } catch (IOException e) {
      throw new ExternalResourceException("cannot create a spool file in " + directory + ": " + e, e);
    }
  }

  /** Appends a content key ({@code algorithm:hex}). */
  synchronized void add(String key) {
    int colon = key.indexOf(':');
    try {
      out.writeByte(key.startsWith(Digest.SHA256 + ":") ? 0 : 1);
      out.write(HexFormat.of().parseHex(key, colon + 1, key.length()));
    } catch (IOException e) {
      throw new ExternalResourceException("cannot write the spool file " + file + ": " + e, e);
    }
  }

  /** Closes the writing side, then hands every key to {@code action}, in the order added. */
  synchronized void forEach(Consumer<String> action) {
    try {
      out.close();
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
        byte[] sha256 = new byte[32];
        byte[] sha512 = new byte[64];
        int tag;
        while ((tag = in.read()) >= 0) {
          byte[] raw = tag == 0 ? sha256 : sha512;
          in.readFully(raw);
          action.accept((tag == 0 ? Digest.SHA256 : Digest.SHA512) + ":" + HexFormat.of().formatHex(raw));
        }
      }
    } catch (IOException e) {
      throw new ExternalResourceException("cannot read the spool file " + file + ": " + e, e);
    }
  }

  /** Deletes the file. */
  @Override
  public void close() {
    try {
      out.close();
      Files.deleteIfExists(file);
    } catch (IOException e) {
      Log.LOG.warn("cannot delete the spool file {}", file, e);
    }
  }
}
