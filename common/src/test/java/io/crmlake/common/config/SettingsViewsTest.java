package io.crmlake.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Views of nested objects and lists of objects: their errors name the full key and the value. */
class SettingsViewsTest {
  @TempDir Path home;

  private Settings settings(String... sets) {
    return CrmlakeConfig.of(ConfigLoader.load(null, home, List.of(sets), false), home).settings();
  }

  @Test
  void listElementsAreViewsWithIndexedKeys() {
    Settings s = settings("x.items=[{n=1, s=a}, {n=2.5, s=b}]");
    List<Settings> items = s.objectList("x.items");
    assertEquals(2, items.size());
    assertEquals("x.items[1].n", items.get(1).key("n"));
    assertEquals(2.5, items.get(1).number("n"));
    assertEquals("a", items.get(0).string("s"));
    assertFalse(items.get(0).has("missing"));
  }

  @Test
  void objectViewsListTheirKeysAndNameFullKeys() {
    Settings s = settings("x.obj={b {v=1}, a {v=oops}}");
    Settings obj = s.object("x.obj");
    assertEquals(List.of("a", "b"), obj.keys());
    assertEquals(1, obj.object("b").intAtLeast("v", 1));
    ConfigError e = assertThrows(ConfigError.class, () -> obj.object("a").intAtLeast("v", 1));
    assertEquals("x.obj.a.v must be a whole number, cannot be: oops", e.getMessage());
  }

  @Test
  void aNonNumberInAListElementNamesTheElementKeyAndValue() {
    Settings s = settings("x.items=[{n=1}, {n=x}]");
    ConfigError e =
        assertThrows(ConfigError.class, () -> s.objectList("x.items").get(1).number("n"));
    assertEquals("x.items[1].n must be a number, cannot be: x", e.getMessage());
  }

  @Test
  void aMissingKeyInAViewShowsTheObject() {
    Settings s = settings("x.items=[{n=1}]");
    ConfigError e =
        assertThrows(ConfigError.class, () -> s.objectList("x.items").get(0).string("name"));
    assertEquals("missing setting x.items[0].name (x.items[0] is {\"n\":1})", e.getMessage());
  }

  @Test
  void wrongShapesAreNamed() {
    Settings s = settings("x.items=[{n=1}, 7]", "x.word=hello");
    ConfigError element = assertThrows(ConfigError.class, () -> s.objectList("x.items"));
    assertEquals("x.items[1] must be an object {...}, cannot be: 7", element.getMessage());
    ConfigError notList = assertThrows(ConfigError.class, () -> s.objectList("x.word"));
    assertEquals(
        "x.word must be a list of objects [{...}], cannot be: hello", notList.getMessage());
    ConfigError notObject = assertThrows(ConfigError.class, () -> s.object("x.word"));
    assertEquals("x.word must be an object {...}, cannot be: hello", notObject.getMessage());
    ConfigError missing = assertThrows(ConfigError.class, () -> s.objectList("x.none"));
    assertEquals("missing setting x.none", missing.getMessage());
  }

  @Test
  void typeErrorsOfTopLevelKeysNameTheValue() {
    Settings s = settings("x.flag=maybe", "x.f=abc");
    ConfigError bool = assertThrows(ConfigError.class, () -> s.bool("x.flag"));
    assertEquals("x.flag must be true or false, cannot be: maybe", bool.getMessage());
    ConfigError number = assertThrows(ConfigError.class, () -> s.doubleIn("x.f", 0, 1));
    assertEquals("x.f must be a number, cannot be: abc", number.getMessage());
  }

  @Test
  void aBadValueFromAFileNamesTheFileAndLine() throws Exception {
    Files.writeString(
        home.resolve("a.conf"), "x {\n  items = [\n    {n = 1}\n    {n = many}\n  ]\n}\n");
    Settings s =
        CrmlakeConfig.of(ConfigLoader.load("a.conf", home, List.of(), false), home).settings();
    ConfigError e =
        assertThrows(ConfigError.class, () -> s.objectList("x.items").get(1).number("n"));
    assertTrue(
        e.getMessage().startsWith("x.items[1].n must be a number, cannot be: many ("),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("a.conf: 4)"), e.getMessage());
  }

  @Test
  void secretValuesAreNotShown() {
    Settings s = settings("x.password=hunter2", "x.items=[{token=abc123}]");
    ConfigError e = assertThrows(ConfigError.class, () -> s.intAtLeast("x.password", 1));
    assertEquals("x.password must be a whole number, cannot be: ******", e.getMessage());
    ConfigError in =
        assertThrows(ConfigError.class, () -> s.objectList("x.items").get(0).string("name"));
    assertFalse(in.getMessage().contains("abc123"), in.getMessage());
    assertTrue(in.getMessage().contains("x.items[0].name"), in.getMessage());
  }
}
