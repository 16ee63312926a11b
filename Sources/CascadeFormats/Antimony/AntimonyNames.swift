import CascadeCore

/// Names with a fixed meaning in the Antimony subset: keywords, built-in functions and constants.
enum AntimonyNames {
    /// Words that structure the language and so cannot be used as ids.
    static let keywords: Set<String> = [
        "model", "module", "end", "function", "species", "compartment", "const", "var",
        "substanceOnly", "formula", "unit", "has", "is", "in", "at", "after", "import", "delete",
        "reaction", "gene", "operator", "DNA", "and", "or", "not",
    ]

    /// Names of built-in constants (and `time`), which also cannot be used as ids.
    static let constants: [String: Double] = [
        "true": 1, "false": 0, "pi": Double.pi, "exponentiale": 2.718281828459045,
        "avogadro": 6.02214179e23, "inf": .infinity, "infinity": .infinity,
    ]

    /// Spellings of NaN, which a model may not contain.
    static let notANumber: Set<String> = ["notanumber", "nan", "NaN"]

    /// True if `name` cannot be the id of a model element.
    static func isReserved(_ name: String) -> Bool {
        keywords.contains(name) || constants[name] != nil || notANumber.contains(name) || name == "time"
    }

    /// Built-in functions (the SBML Level 3 infix names) and the operator each one applies.
    static let functions: [String: Op] = [
        "abs": .abs, "exp": .exp, "ln": .ln, "log": .log, "log10": .log10, "sqrt": .sqrt, "root": .root,
        "floor": .floor, "ceil": .ceil, "ceiling": .ceil, "min": .min, "max": .max,
        "factorial": .factorial, "rem": .rem, "quotient": .quotient, "pow": .pow, "power": .pow,
        "sin": .sin, "cos": .cos, "tan": .tan, "sec": .sec, "csc": .csc, "cot": .cot,
        "sinh": .sinh, "cosh": .cosh, "tanh": .tanh, "sech": .sech, "csch": .csch, "coth": .coth,
        "asin": .asin, "acos": .acos, "atan": .atan, "asec": .asec, "acsc": .acsc, "acot": .acot,
        "arcsin": .asin, "arccos": .acos, "arctan": .atan, "arcsec": .asec, "arccsc": .acsc, "arccot": .acot,
        "asinh": .asinh, "acosh": .acosh, "atanh": .atanh, "asech": .asech, "acsch": .acsch, "acoth": .acoth,
        "arcsinh": .asinh, "arccosh": .acosh, "arctanh": .atanh, "arcsech": .asech, "arccsch": .acsch,
        "arccoth": .acoth,
        "and": .and, "or": .or, "xor": .xor, "not": .not,
        "eq": .eq, "neq": .neq, "gt": .gt, "lt": .lt, "geq": .ge, "leq": .le,
        "plus": .add, "times": .mul, "minus": .sub, "divide": .div,
        "rateOf": .rateOf, "delay": .delay,
    ]

    /// Built-in functions handled specially by the parser (not a plain `Op`).
    static let specialFunctions: Set<String> = ["piecewise", "sqr"]

    /// Functions of SBML infix that the subset does not support.
    static let unsupportedFunctions: Set<String> = ["lambda"]

    /// True if `name` is a built-in function, so a user function may not take it.
    static func isBuiltinFunction(_ name: String) -> Bool {
        functions[name] != nil || specialFunctions.contains(name) || unsupportedFunctions.contains(name)
    }

    /// The name the printer uses for an operator written as a function call.
    static func functionName(_ op: Op) -> String {
        switch op {
        case .add: return "plus"
        case .sub, .neg: return "minus"
        case .mul: return "times"
        case .div: return "divide"
        case .ge: return "geq"
        case .le: return "leq"
        default: return op.rawValue
        }
    }

    /// SBML base unit kinds, used to read plurals such as `seconds` as `second`.
    static let baseUnits: Set<String> = [
        "ampere", "avogadro", "becquerel", "candela", "coulomb", "dimensionless", "farad", "gram",
        "gray", "henry", "hertz", "item", "joule", "katal", "kelvin", "kilogram", "litre", "liter",
        "lumen", "lux", "metre", "meter", "mole", "newton", "ohm", "pascal", "radian", "second",
        "siemens", "sievert", "steradian", "tesla", "volt", "watt", "weber",
    ]

    /// True if `name` is spelled like an Antimony id.
    static func isValidId(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func identStart(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F }
        guard identStart(first) else { return false }
        return name.utf8.allSatisfy { identStart($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
