package org.stowage.staging;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.stowage.Location;
import org.stowage.Metadata;

/**
 * The record a moving transfer keeps in its scratch directory of the files it moves out of it, so
 * that a transfer killed halfway can be finished by a retry, even in another process (see
 * docs/staging.md, "Moving transfers"). The file is {@code <scratch>/.stowage-moves}: a name no
 * registered file can have (no location segment may start with {@code .stowage}, rule L2). It is
 * an append-only text file, UTF-8, one {@code \n} after each line:
 *
 * <pre>
 * moving &lt;size&gt; &lt;relative path&gt;          written for every file, before the first file moves
 * moved &lt;md5&gt; &lt;size&gt; &lt;relative path&gt;     written after that file is stored
 * </pre>
 *
 * <p>Each batch of lines goes out in one {@code write(2)} with {@code O_APPEND}; a killed process
 * leaves at most a partial last line, which a reader skips. A transfer's lines go through one open
 * file, from {@link #moving} to {@link #close}: one {@code write(2)} per moved file. It is not
 * synced to disk: it survives a killed process (the operating system keeps what was written), not
 * a power failure. It is deleted with the scratch directory.
 */
final class MoveJournal {
  static final String FILE_NAME = Location.RESERVED_PREFIX + "-moves";

  private final Path file;
  /** Open from {@link #moving} to {@link #close}; guarded by this. */
  private FileChannel out;

  MoveJournal(Path scratchDir) {
    this.file = scratchDir.resolve(FILE_NAME);
  }

  /** What the journal knows of one file that a transfer moved, or began to move. */
  record Moved(long size, Metadata metadata) {}

  /**
   * Notes that these files (relative path to size) are about to move, and keeps the journal open
   * for their {@link #moved} lines until {@link #close}.
   */
  synchronized void moving(Map<String, Long> files) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (Map.Entry<String, Long> e : files.entrySet()) {
      lines.append("moving ").append(e.getValue()).append(' ').append(e.getKey()).append('\n');
    }
    if (out == null || !out.isOpen()) {
      out = open();
    }
    write(out, lines.toString());
  }

  /** Notes that the file at {@code relative} is stored with {@code metadata}. */
  void moved(String relative, Metadata metadata) throws IOException {
    append("moved " + metadata.md5() + " " + metadata.size() + " " + relative + "\n");
  }

  /**
   * What the journal says of each relative path: for a file noted as moved, its metadata; for one
   * only noted as moving, its size and a {@code null} metadata. Empty if there is no journal.
   */
  Map<String, Moved> read() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Map.of();
    }
    Map<String, Moved> known = new HashMap<>();
    for (String line : lines) {
      try {
        String[] parts = line.split(" ", line.startsWith("moving ") ? 3 : 4);
        if (parts.length == 3 && parts[0].equals("moving") && Location.isValid(parts[2])) {
          known.putIfAbsent(parts[2], new Moved(Long.parseLong(parts[1]), null));
        } else if (parts.length == 4 && parts[0].equals("moved") && Location.isValid(parts[3])) {
          long size = Long.parseLong(parts[2]);
          known.put(parts[3], new Moved(size, new Metadata(parts[1], size)));
        }
      } catch (IllegalArgumentException e) {
        // a partial last line, cut by a kill: skipped
      }
    }
    return known;
  }

  /** Closes the journal file that {@link #moving} opened, if open. Idempotent. */
  synchronized void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // nothing was buffered: every line went out in its own write
      }
      out = null;
    }
  }

  /**
   * Appends {@code text} in one write: through the file {@link #moving} opened, or, once the
   * transfer is over (a thread still finishing after an interrupt), by opening it for this write.
   */
  private synchronized void append(String text) throws IOException {
    if (out != null && out.isOpen()) {
      write(out, text);
      return;
    }
    try (FileChannel once = open()) {
      write(once, text);
    }
  }

  private FileChannel open() throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  private static void write(FileChannel channel, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
