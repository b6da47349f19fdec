package org.stowage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A plain backend for the core's own tests: a synchronized TreeMap, with metadata recorded at
 * write time as a real backend records it. Tests bend it through the public fields to show that
 * the core catches what a faulty backend does, and change {@link #objects} behind its back.
 */
public class TreeMapStorage extends ExternalStorage {
  public final TreeMap<String, byte[]> objects = new TreeMap<>(Location.UTF8_ORDER);
  public final java.util.Map<String, Metadata> records = new java.util.HashMap<>();
  public final List<String> hookCalls = java.util.Collections.synchronizedList(new ArrayList<>());
  public int closeCalls;
  /** Rewrites the listing the backend returns. */
  public UnaryOperator<List<String>> listingFault = UnaryOperator.identity();
  /** Thrown by every hook when set. */
  public IOException hookFailure;
  /** Commit without reading the content to its end. */
  public boolean commitWithoutReading;

  /** How many writes were committed or attempted. */
  public long writeCalls() {
    return hookCalls.stream().filter(c -> c.startsWith("write ")).count();
  }

  @Override
  protected synchronized boolean writeObject(
      Location location, ObjectSource source, boolean replaceExisting) throws IOException {
    hook("write " + location);
    if (!replaceExisting && objects.containsKey(location.value())) {
      return false;
    }
    byte[] data = commitWithoutReading ? new byte[0] : source.stream().readAllBytes();
    objects.put(location.value(), data);
    records.put(location.value(), commitWithoutReading ? Metadata.of(data) : source.metadata());
    return true;
  }

  @Override
  protected synchronized InputStream openObject(Location location) throws IOException {
    hook("open " + location);
    byte[] data = objects.get(location.value());
    return data == null ? null : new ByteArrayInputStream(data);
  }

  @Override
  protected synchronized boolean objectExists(Location location) throws IOException {
    hook("exists " + location);
    return objects.containsKey(location.value());
  }

  @Override
  protected synchronized Metadata objectMetadata(Location location) throws IOException {
    hook("metadata " + location);
    return records.get(location.value());
  }

  @Override
  protected synchronized boolean deleteObject(Location location) throws IOException {
    hook("delete " + location);
    records.remove(location.value());
    return objects.remove(location.value()) != null;
  }

  @Override
  protected synchronized Stream<String> listObjects(String prefix) throws IOException {
    hook("list " + prefix);
    List<String> keys = new ArrayList<>();
    for (String k : objects.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      keys.add(k);
    }
    return listingFault.apply(keys).stream();
  }

  @Override
  protected URI objectUri(Location location) throws IOException {
    hook("uri " + location);
    return URI.create("tree:/" + location.value());
  }

  @Override
  protected void closeStorage() {
    closeCalls++;
  }

  private void hook(String call) throws IOException {
    hookCalls.add(call);
    if (hookFailure != null) {
      throw hookFailure;
    }
  }

  @Override
  public String toString() {
    return "TreeMapStorage[test]";
  }
}
