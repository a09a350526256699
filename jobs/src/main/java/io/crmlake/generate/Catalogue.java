package io.crmlake.generate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The generated retailer's product catalogue, and the co-purchase patterns planted in it so that
 * basket mining has real rules to find. Deterministic for a given size and seed.
 *
 * <p>Planted patterns (documented in the README, checked by the baskets job's tests):
 *
 * <ul>
 *   <li>bundle "pasta night": Spaghetti, Tomato Sauce, Parmesan, added together to 6% of orders;
 *   <li>bundle "burger grill": Burger Buns, Ground Beef, Cheddar Slices, to 5% of orders;
 *   <li>complement: Diapers → Baby Wipes (70% of orders with Diapers also get Baby Wipes);
 *   <li>complement: Coffee Beans → Coffee Filters (60%);
 *   <li>complement: Tortilla Chips → Salsa Dip (60%).
 * </ul>
 */
public final class Catalogue implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A product: id, name, category, list price. */
  public record Product(String id, String name, String category, double price)
      implements Serializable {}

  /** The planted products, always the first ids of the catalogue. */
  static final String[][] PLANTED = {
    {"Spaghetti", "Pantry", "1.49"},
    {"Tomato Sauce", "Pantry", "2.29"},
    {"Parmesan", "Dairy", "4.99"},
    {"Burger Buns", "Bakery", "2.49"},
    {"Ground Beef", "Meat", "6.99"},
    {"Cheddar Slices", "Dairy", "3.49"},
    {"Diapers", "Baby", "12.99"},
    {"Baby Wipes", "Baby", "3.99"},
    {"Coffee Beans", "Beverages", "8.99"},
    {"Coffee Filters", "Household", "2.99"},
    {"Tortilla Chips", "Snacks", "2.79"},
    {"Salsa Dip", "Snacks", "3.29"},
  };

  static final int[] BUNDLE_PASTA = {0, 1, 2};
  static final int[] BUNDLE_BURGER = {3, 4, 5};
  static final double BUNDLE_PASTA_SHARE = 0.06;
  static final double BUNDLE_BURGER_SHARE = 0.05;

  /** {antecedent, consequent, probability x 100}. */
  static final int[][] COMPLEMENTS = {{6, 7, 70}, {8, 9, 60}, {10, 11, 60}};

  private static final String[][] CATEGORIES = {
    {"Dairy", "Milk", "Yogurt", "Butter", "Cream", "Kefir", "Mozzarella", "Feta"},
    {"Bakery", "Bread", "Bagels", "Croissants", "Muffins", "Rolls", "Baguette"},
    {"Produce", "Apples", "Bananas", "Tomatoes", "Lettuce", "Carrots", "Onions", "Berries"},
    {"Beverages", "Orange Juice", "Sparkling Water", "Green Tea", "Cola", "Lemonade"},
    {"Snacks", "Pretzels", "Popcorn", "Nuts", "Crackers", "Chocolate Bar", "Granola Bar"},
    {"Household", "Dish Soap", "Paper Towels", "Trash Bags", "Sponges", "Detergent"},
    {"Personal Care", "Shampoo", "Toothpaste", "Soap", "Deodorant", "Lotion"},
    {"Frozen", "Frozen Pizza", "Ice Cream", "Frozen Peas", "Fish Sticks", "Waffles"},
    {"Meat", "Chicken Breast", "Pork Chops", "Sausages", "Bacon", "Turkey Slices"},
    {"Pantry", "Rice", "Flour", "Olive Oil", "Cereal", "Peanut Butter", "Honey", "Beans"},
    {"Pet", "Dog Food", "Cat Food", "Cat Litter", "Dog Treats"},
  };
  private static final String[] VARIANTS = {"", "Organic", "Family Size", "Light", "Premium"};

  private final List<Product> products;

  /** Cumulative popularity weights (Zipf-like) of the non-planted products. */
  private final double[] cumulative;

  public Catalogue(int size, long seed) {
    if (size < PLANTED.length + 48) {
      throw new IllegalArgumentException("a catalogue needs at least 60 products: " + size);
    }
    Random rnd = new Random(seed);
    products = new ArrayList<>(size);
    for (String[] p : PLANTED) {
      products.add(new Product(id(products.size()), p[0], p[1], Double.parseDouble(p[2])));
    }
    int n = 0;
    while (products.size() < size) {
      String[] cat = CATEGORIES[n % CATEGORIES.length];
      String base = cat[1 + (n / CATEGORIES.length) % (cat.length - 1)];
      String variant = VARIANTS[(n / (CATEGORIES.length * 5)) % VARIANTS.length];
      String name = (variant.isEmpty() ? base : variant + " " + base);
      int round = n / (CATEGORIES.length * 5 * VARIANTS.length);
      if (round > 0) {
        name = name + " " + (round + 1);
      }
      double price = Math.round((0.99 + rnd.nextDouble() * 14) * 100) / 100.0;
      products.add(new Product(id(products.size()), name, cat[0], price));
      n++;
    }
    cumulative = new double[size - PLANTED.length];
    double total = 0;
    for (int i = 0; i < cumulative.length; i++) {
      total += 1.0 / Math.pow(i + 1, 0.8);
      cumulative[i] = total;
    }
    for (int i = 0; i < cumulative.length; i++) {
      cumulative[i] /= total;
    }
  }

  private static String id(int i) {
    return String.format("P%04d", i + 1);
  }

  public List<Product> products() {
    return products;
  }

  public Product get(int index) {
    return products.get(index);
  }

  /**
   * A random non-planted product by popularity, or one of the planted antecedents (each with a
   * small fixed chance), given a uniform draw in [0, 1).
   */
  int pick(double u, double v) {
    if (v < 0.04) {
      return COMPLEMENTS[(int) (v / 0.04 * COMPLEMENTS.length) % COMPLEMENTS.length][0];
    }
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return PLANTED.length + lo;
  }
}
