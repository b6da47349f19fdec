package org.example.consumer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.filesystem.FileStorage;

/** Stores and loads one object in a file store and in a memory store opened by URI. */
public final class App {
  private App() {}

  public static void main(String[] args) {
    byte[] data = "hello from a consumer".getBytes(StandardCharsets.UTF_8);
    try (ExternalStorage files = new FileStorage(Path.of(args[0]));
        ExternalStorage memory = ExternalStorage.open("memory:")) {
      Metadata stored = files.storeBytes("consumer/hello.txt", data);
      files.copyTo("consumer/hello.txt", memory, "hello.txt", org.stowage.WritePolicy.OVERWRITE);
      byte[] back = memory.loadBytes("hello.txt", stored);
      if (!java.util.Arrays.equals(back, data)) {
        throw new AssertionError("the bytes changed on the way");
      }
      System.out.println("consumer ok: " + stored.md5() + " " + stored.size());
    }
  }
}
