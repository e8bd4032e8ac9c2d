import Testing
@testable import Shoal

@Suite struct NumberTests {
    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("0.000", "0"), ("00042", "42"), ("1.50", "1.5"), ("1.0", "1"),
        ("1.5E2", "150"), ("1e-3", "0.001"), ("-12.5e1", "-125"), (".5", "0.5"), ("5.", "5"), ("+7", "7"),
        ("123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678"),
        ("1E125", "1" + String(repeating: "0", count: 125)),
        ("1E-130", "0." + String(repeating: "0", count: 129) + "1"),
        ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + String(repeating: "0", count: 88)),
        ("1000000000000000000000000000000000000000000000", "1000000000000000000000000000000000000000000000"),
        ("-0.00001230", "-0.0000123"),
    ])
    func canonicalText(input: String, expected: String) throws {
        #expect(try Number(input).description == expected)
    }

    @Test(arguments: [
        ("", NumberError.empty), ("abc", .notANumber), ("1.2.3", .notANumber), ("1e", .notANumber), ("--1", .notANumber),
        (" 1", .notANumber), ("1 ", .notANumber), ("e5", .notANumber), (".", .notANumber), ("0x10", .notANumber),
        ("NaN", .notANumber), ("Infinity", .notANumber),
        ("123456789012345678901234567890123456789", .tooManyDigits),
        ("1.23456789012345678901234567890123456789", .tooManyDigits),
        ("1E126", .overflow), ("-1E126", .overflow), ("1E-131", .underflow), ("1e99999999999999", .overflow),
    ])
    func rejected(input: String, error: NumberError) {
        #expect(throws: error) { try Number(input) }
    }

    @Test func errorMessagesAreDynamoDBs() {
        #expect(NumberError.tooManyDigits.description == "Attempting to store more than 38 significant digits in a Number")
        #expect(NumberError.overflow.description == "Number overflow. Attempting to store a number with magnitude larger than supported range")
        #expect(NumberError.underflow.description == "Number underflow. Attempting to store a number with magnitude smaller than supported range")
        #expect(NumberError.notANumber.description == "The parameter cannot be converted to a numeric value")
        #expect(NumberError.notANumber.message(parsing: "NaN") == "The parameter cannot be converted to a numeric value: NaN")
    }

    @Test(arguments: ["3", "-7.1234", "-17e5", "-17.4E37", "+3", ".123", "0001.23", "1e+5"])
    func acceptsDynamoDBsForms(text: String) throws {
        _ = try Number(text)
    }

    @Test func numericEqualityIgnoresForm() throws {
        #expect(try Number("1.0") == Number("1"))
        #expect(try Number("100") == Number("1e2"))
        #expect(try Number("-0") == Number.zero)
        #expect(Set([try Number("1.0"), try Number("1")]).count == 1)
    }

    @Test func comparison() throws {
        let ordered = try ["-1e125", "-100", "-2", "-1.5", "-1", "-0.001", "0", "1e-130", "0.001", "1", "1.000001", "2", "10", "99", "100", "1e125"].map(Number.init)
        for i in ordered.indices {
            for j in ordered.indices {
                #expect((ordered[i] < ordered[j]) == (i < j), "\(ordered[i]) < \(ordered[j])")
            }
        }
    }

    @Test func exactArithmetic() throws {
        #expect(try (Number("0.1") + Number("0.2")).description == "0.3")
        #expect(try (Number("1") - Number("1")) == .zero)
        #expect(try (Number("-5") + Number("3")).description == "-2")
        #expect(try (Number("3") - Number("5")).description == "-2")
        #expect(try (Number("99999999999999999999999999999999999999") - Number("1")).description == "99999999999999999999999999999999999998")
        #expect(try (Number("12345678901234567890") + Number("0.0000000001")).description == "12345678901234567890.0000000001")
        #expect(try (Number("1e125") - Number("1e125")) == .zero)
        #expect(try (Number("2e-130") - Number("1e-130")).description == "0." + String(repeating: "0", count: 129) + "1")
    }

    @Test func arithmeticErrors() throws {
        #expect(throws: NumberError.overflow) { try Number("9.9999999999999999999999999999999999999E+125") + Number("1E+125") }
        #expect(throws: NumberError.tooManyDigits) { try Number("99999999999999999999999999999999999999") + Number("1e-5") }
        #expect(throws: NumberError.tooManyDigits) { try Number("1e100") + Number("1e-100") }
        #expect(throws: NumberError.underflow) { try Number("1.1e-130") - Number("1e-130") }
    }

    @Test func conversions() throws {
        #expect(Number(-42).description == "-42")
        #expect(Number(Int.min).description == "-9223372036854775808")
        #expect(Number(Int.min).int64Value == Int64.min)
        #expect(try Number("1e3").int64Value == 1000)
        #expect(try Number("1.5").int64Value == nil)
        #expect(try Number(0.1).description == "0.1")
        #expect(try Number(1e-5).description == "0.00001")
        #expect(throws: NumberError.notANumber) { try Number(Double.nan) }
        #expect(try Number("2.5").doubleValue == 2.5)
    }

    @Test func sizeFollowsDynamoDB() throws {
        #expect(Number.zero.dynamoSize == 1)
        #expect(try Number("1").dynamoSize == 2)
        #expect(try Number("12").dynamoSize == 2)
        #expect(try Number("123").dynamoSize == 3)
        #expect(try Number("-123").dynamoSize == 4)
        #expect(try Number("123.45").dynamoSize == 4)
        #expect(try Number("0.0012").dynamoSize == 2)
        #expect(try Number("1E125").dynamoSize == 2)
    }

    @Test func orderedEncodingMatchesNumericOrder() {
        var g = SeededGenerator(seed: 7)
        let numbers = (0..<3000).map { _ in Generate.number(&g) }
        for _ in 0..<20000 {
            let a = numbers.randomElement(using: &g)!
            let b = numbers.randomElement(using: &g)!
            let byBytes = KeyEncoding.compareBytes(NumberEncoding.encode(a), NumberEncoding.encode(b))
            #expect(byBytes.signum() == Number.compare(a, b).signum(), "\(a) vs \(b)")
        }
    }

    @Test func orderedEncodingRoundTrips() throws {
        var g = SeededGenerator(seed: 11)
        for _ in 0..<5000 {
            let n = Generate.number(&g)
            var reader = ByteReader(NumberEncoding.encode(n))
            #expect(try NumberEncoding.decode(&reader) == n)
            #expect(reader.isAtEnd)
            #expect(try Number(n.description) == n)
        }
    }
}
