#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP dates (RFC 9110 section 5.6.7): formatting as IMF-fixdate, parsing all three historic forms.
public enum HTTPDate {
    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `seconds` since the Unix epoch. The format has room for
    /// four-digit years only: times outside years 1 to 9999 are clamped to them.
    public static func format(_ seconds: Int) -> String {
        var time = time_t(min(max(seconds, -62_135_596_800), 253_402_300_799))
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(dayNames[Int(parts.tm_wday)]), \(padded(Int(parts.tm_mday))) \(monthNames[Int(parts.tm_mon)]) "
            + "\(padded(Int(parts.tm_year) + 1900, to: 4)) \(padded(Int(parts.tm_hour))):\(padded(Int(parts.tm_min))):\(padded(Int(parts.tm_sec))) GMT"
    }

    /// `28/Nov/2026:21:50:12 +0000`, the Common Log Format timestamp, for `seconds` since the epoch.
    public static func formatCommonLog(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(padded(Int(parts.tm_mday)))/\(monthNames[Int(parts.tm_mon)])/\(parts.tm_year + 1900):"
            + "\(padded(Int(parts.tm_hour))):\(padded(Int(parts.tm_min))):\(padded(Int(parts.tm_sec))) +0000"
    }

    /// Seconds since the epoch for an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`) date; nil when
    /// `text` is none of them.
    public static func parse(_ text: String) -> Int? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" })
        let day: Substring, month: Substring, year: Substring, clock: Substring
        if words.count == 6, words[5] == "GMT", text.contains(",") {
            (day, month, year, clock) = (words[1], words[2], words[3], words[4])   // IMF-fixdate, RFC 850
        } else if words.count == 5 {
            (month, day, clock, year) = (words[1], words[2], words[3], words[4])   // asctime
        } else {
            return nil
        }
        guard let monthIndex = monthNames.firstIndex(of: String(month)),
              let dayNumber = Int(day), (1...31).contains(dayNumber),
              var yearNumber = Int(year) else { return nil }
        if year.count == 2 { yearNumber += yearNumber < 70 ? 2000 : 1900 }
        let clockParts = clock.split(separator: ":").compactMap { Int($0) }
        guard clockParts.count == 3, (0...23).contains(clockParts[0]), (0...59).contains(clockParts[1]),
              (0...60).contains(clockParts[2]), (1970...9999).contains(yearNumber) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(yearNumber - 1900)
        parts.tm_mon = Int32(monthIndex)
        parts.tm_mday = Int32(dayNumber)
        parts.tm_hour = Int32(clockParts[0])
        parts.tm_min = Int32(clockParts[1])
        parts.tm_sec = Int32(clockParts[2])
        return Int(timegm(&parts))
    }

    /// `value` in decimal, with leading zeros to `width` digits.
    private static func padded(_ value: Int, to width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
