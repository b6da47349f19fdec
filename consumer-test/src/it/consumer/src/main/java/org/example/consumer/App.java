package org.example.consumer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import org.stowage.filesystem.FileStorage;

/**
 * Stores and loads one object in a file store and in a memory store opened by URI, with no SLF4J
 * binding: an ordinary store and load log nothing, so SLF4J must say nothing; then lists the file
 * store with a symbolic link in it that leads out of its root, which Stowage warns about (rule
 * L4), and checks that the warning SLF4J prints then is the one README quotes.
 *
 * <p>Arguments: the store's directory, and README.md.
 */
public final class App {
  private App() {}

  public static void main(String[] args) throws Exception {
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    byte[] data = "hello from a consumer".getBytes(StandardCharsets.UTF_8);
    Metadata stored;
    String quiet;
    try (ExternalStorage files = new FileStorage(Path.of(args[0]));
        ExternalStorage memory = ExternalStorage.open("memory:")) {
      stored = files.storeBytes("consumer/hello.txt", data);
      files.copyTo("consumer/hello.txt", memory, "hello.txt", WritePolicy.OVERWRITE);
      if (!Arrays.equals(memory.loadBytes("hello.txt", stored), data)) {
        throw new AssertionError("the bytes changed on the way");
      }
      quiet = captured.toString(StandardCharsets.UTF_8);
      // Something to warn about: a link in the root that leads out of it, skipped by a listing.
      Files.createSymbolicLink(Path.of(args[0]).resolve("outside"), Path.of(args[0]).getParent());
      try (java.util.stream.Stream<String> listing = files.iterContents()) {
        listing.count();
      }
    } finally {
      System.setErr(stderr);
    }
    if (!quiet.isEmpty()) {
      throw new AssertionError("a store and a load that log nothing printed on stderr: " + quiet);
    }
    String warning = captured.toString(StandardCharsets.UTF_8);
    String readme = Files.readString(Path.of(args[1]), StandardCharsets.UTF_8);
    if (!warning.contains("No SLF4J providers were found")) {
      throw new AssertionError("no SLF4J warning without a binding: " + warning);
    }
    for (String line : warning.strip().split("\\R")) {
      if (!readme.contains("  " + line + "\n")) {
        throw new AssertionError("README does not quote SLF4J's warning line: " + line);
      }
    }
    System.out.println("consumer ok: " + stored.md5() + " " + stored.size()
        + "; SLF4J silent until Stowage logged, then warned as README says");
  }
}
