package io.crmlake.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * The settings the defaults declare ({@code crmlake-defaults.conf}), against which every other
 * source of settings is checked: a key the defaults do not declare is a typo or a stale setting,
 * and taking the default instead would leave the user believing they changed something. The error
 * names the key, where it came from and the closest declared key.
 *
 * <p>An object of the defaults whose comment says {@code free-form} (such as {@code spark.conf},
 * any Spark setting) takes any key below it. A list is one value: the keys of objects inside lists
 * are checked by the settings that read them ({@link Settings#onlyKeys}). Works on unresolved
 * configs (substitutions such as {@code ${lake.root}} are not evaluated).
 */
class DeclaredKeys {
  /** Marks an object of the defaults whose keys are the user's to choose. */
  static final String FREE_FORM = "free-form";

  /** Declares every key: no check. */
  static final DeclaredKeys ANY =
      new DeclaredKeys(com.typesafe.config.ConfigFactory.empty()) {
        @Override
        void check(Config source, BiFunction<String, ConfigValue, String> where) {}
      };

  private final Set<String> declared = new TreeSet<>();
  private final Set<String> freeForm = new TreeSet<>();

  DeclaredKeys(Config defaults) {
    collect(defaults.root(), List.of());
  }

  private void collect(ConfigObject object, List<String> parent) {
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      List<String> key = child(parent, e.getKey());
      String path = ConfigUtil.joinPath(key);
      declared.add(path);
      if (e.getValue() instanceof ConfigObject) {
        if (e.getValue().origin().comments().stream().anyMatch(c -> c.contains(FREE_FORM))) {
          freeForm.add(path);
        } else {
          collect((ConfigObject) e.getValue(), key);
        }
      }
    }
  }

  private static List<String> child(List<String> parent, String key) {
    List<String> out = new ArrayList<>(parent);
    out.add(key);
    return out;
  }

  /**
   * Fails on the first key of {@code source} the defaults do not declare; {@code where} describes
   * where a key and its value came from (the option, the file and line, the environment variable).
   */
  void check(Config source, BiFunction<String, ConfigValue, String> where) {
    check(source.root(), List.of(), where);
  }

  private void check(
      ConfigObject object, List<String> parent, BiFunction<String, ConfigValue, String> where) {
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      List<String> key = child(parent, e.getKey());
      String path = ConfigUtil.joinPath(key);
      if (freeForm.contains(path)) {
        continue;
      }
      if (!declared.contains(path)) {
        throw new ConfigError(
            "unknown setting "
                + path
                + " ("
                + where.apply(path, e.getValue())
                + "): "
                + closest(path).map(k -> "did you mean " + k + "? ").orElse("")
                + "every setting is declared, with its meaning, in "
                + ConfigLoader.DEFAULTS_RESOURCE);
      }
      if (e.getValue() instanceof ConfigObject) {
        check((ConfigObject) e.getValue(), key, where);
      }
    }
  }

  /** The declared key nearest to {@code key} in edit distance, if any is reasonably near. */
  java.util.Optional<String> closest(String key) {
    LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : declared) {
      int d = distance.apply(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 3)
        ? java.util.Optional.of(best)
        : java.util.Optional.empty();
  }

  /** The declared keys, for tests. */
  List<String> keys() {
    return new ArrayList<>(declared);
  }
}
