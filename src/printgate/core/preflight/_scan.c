/* The content-stream tokenizer of content.py (scan_ops, fast_parse), compiled.
 *
 * Same grammar, same values, same refusals as the pure-Python version, which stays the reference
 * (tests/preflight/test_scan_compiled.py compares the two). Each regular expression of content.py
 * is a small function here; their comments name the expression they stand for. Every loop moves
 * forward through the buffer and never past its end; arrays and dictionaries nest on a heap stack,
 * never on the C stack, so hostile bytes cost time linear in their size and cannot crash it.
 *
 * Two passes, as in content.py: the whole stream is split into instructions first (a stream with
 * anything read differently from qpdf is refused before any operator is looked up), then the
 * Python values are built. content.py hands its tables over with configure(), so the operator
 * cache (and its size limit), PName, PDICT and OpList are the very objects the Python code uses.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *g_ops, *g_special, *g_read, *g_name_first, *g_text_ops, *g_state_only;
static PyObject *g_pname, *g_pdict, *g_oplist, *g_n_ops;
static Py_ssize_t g_max_pruned_depth = 4096;

typedef const unsigned char uc;

/* Character classes. */
enum { WS0 = 1, WS1 = 2, DELIM = 4, NAMECH = 8, OPSTART = 16, OPCH = 32, HEXCH = 64, DIGIT = 128 };
static unsigned char cls[256];

static void init_classes(void)
{
    const char *p;
    int c;
    static const unsigned char ws[] = {0, '\t', '\n', '\x0c', '\r', ' '};
    for (c = 0; c < (int)sizeof ws; c++)
        cls[ws[c]] |= WS0 | DELIM | HEXCH;
    for (p = "\t\n\x0c\r "; *p; p++)
        cls[(uc)*p] |= WS1;
    for (p = "()<>[]{}/%"; *p; p++)
        cls[(uc)*p] |= DELIM;
    /* /[!"$&'*+,\-.0-;=?-Z\\^-z|~] */
    for (p = "!\"$&'*+,-.=\\|~"; *p; p++)
        cls[(uc)*p] |= NAMECH;
    for (c = '0'; c <= ';'; c++) cls[c] |= NAMECH;
    for (c = '?'; c <= 'Z'; c++) cls[c] |= NAMECH;
    for (c = '^'; c <= 'z'; c++) cls[c] |= NAMECH;
    for (c = 'A'; c <= 'Z'; c++) cls[c] |= OPSTART | OPCH | HEXCH * (c <= 'F');
    for (c = 'a'; c <= 'z'; c++) cls[c] |= OPSTART | OPCH | HEXCH * (c <= 'f');
    for (p = "'\"*"; *p; p++)
        cls[(uc)*p] |= OPSTART | OPCH;
    for (c = '0'; c <= '9'; c++) cls[c] |= OPCH | HEXCH | DIGIT;
}

#define IS(c, k) (cls[(uc)(c)] & (k))

/* _END: a regular token ends at a delimiter or at the end. */
static inline int at_end(uc *s, Py_ssize_t q, Py_ssize_t e) { return q >= e || IS(s[q], DELIM); }

/* _ONE: a number, then white space (not NUL) or a delimiter ahead. Returns its end or -1.
 * ``*num_end`` (if given) is where the number's characters stop. */
static Py_ssize_t one(uc *s, Py_ssize_t p, Py_ssize_t e, Py_ssize_t *num_end)
{
    Py_ssize_t q = p, d, m;
    if (q < e && (s[q] == '+' || s[q] == '-'))
        q++;
    d = q;
    while (q < e && IS(s[q], DIGIT)) q++;
    d = q - d;
    if (q < e && s[q] == '.') {
        Py_ssize_t f = ++q;
        while (q < e && IS(s[q], DIGIT)) q++;
        m = q - f;
        if (m == 0 ? (d < 1 || d > 17) : d > 40)
            return -1;
    }
    else if (d < 1 || d > 17)
        return -1;
    if (num_end)
        *num_end = q;
    if (q < e && IS(s[q], WS1)) {
        while (q < e && IS(s[q], WS1)) q++;
        return q;
    }
    return at_end(s, q, e) ? q : -1;
}

/* _PATH_OP: exactly a path construction operator's operands and its letter. */
static Py_ssize_t path_op(uc *s, Py_ssize_t p, Py_ssize_t e)
{
    Py_ssize_t q = p, t;
    int k = 0;
    while (k < 6 && (t = one(s, q, e, NULL)) >= 0) {
        q = t;
        k++;
    }
    if (q >= e)
        return -1;
    switch (s[q]) {
    case 'm': case 'l': if (k != 2) return -1; break;
    case 'c': if (k != 6) return -1; break;
    case 'v': case 'y': if (k != 4) return -1; break;
    case 'h': if (k != 0) return -1; break;
    default: return -1;
    }
    return at_end(s, q + 1, e) ? q + 1 : -1;
}

/* _OP: an operator or keyword; its end or -1. */
static Py_ssize_t op_token(uc *s, Py_ssize_t p, Py_ssize_t e)
{
    Py_ssize_t q;
    if (p >= e || !IS(s[p], OPSTART))
        return -1;
    q = p + 1;
    while (q < e && IS(s[q], OPCH)) q++;
    return at_end(s, q, e) ? q : -1;
}

static int keyword_at(uc *s, Py_ssize_t p, Py_ssize_t e, const char *kw, Py_ssize_t n)
{
    return e - p >= n && memcmp(s + p, kw, (size_t)n) == 0 && at_end(s, p + n, e);
}

/* _ITEM: one operand of the second kind (a run of numbers counts as one); its end or -1. */
static Py_ssize_t item(uc *s, Py_ssize_t p, Py_ssize_t e)
{
    Py_ssize_t q, t;
    unsigned char c;
    if (p >= e)
        return -1;
    if ((q = one(s, p, e, NULL)) >= 0) {
        while ((t = one(s, q, e, NULL)) >= 0) q = t;
        return q;
    }
    c = s[p];
    switch (c) {
    case '/':
        q = p + 1;
        while (q < e && IS(s[q], NAMECH)) q++;
        return q > p + 1 && at_end(s, q, e) ? q : -1;
    case '(':
        q = p + 1;
        while (q < e) {
            unsigned char ch = s[q];
            if (ch == '\\') {
                if (q + 1 < e && s[q + 1] != '\r')
                    q += 2;
                else
                    break;
            }
            else if (ch == '(' || ch == ')' || ch == '\r')
                break;
            else
                q++;
        }
        return q < e && s[q] == ')' ? q + 1 : -1;
    case '[': case ']':
        return p + 1;
    case '>':
        return p + 1 < e && s[p + 1] == '>' ? p + 2 : -1;
    case '<':
        if (p + 1 < e && s[p + 1] == '<')
            return p + 2;
        q = p + 1;
        while (q < e && IS(s[q], HEXCH)) q++;
        return q < e && s[q] == '>' ? q + 1 : -1;
    case 't': return keyword_at(s, p, e, "true", 4) ? p + 4 : -1;
    case 'f': return keyword_at(s, p, e, "false", 5) ? p + 5 : -1;
    case 'n': return keyword_at(s, p, e, "null", 4) ? p + 4 : -1;
    }
    return -1;
}

/* --- pass 1: instructions ----------------------------------------------------------------------- */

enum { K_PATH, K_RUN, K_ITEMS };

typedef struct {
    Py_ssize_t a, b;    /* path text, number run or operand text */
    Py_ssize_t ka, kb;  /* the operator (not for a path run) */
    int kind;
} Tok;

typedef struct {
    Tok *v;
    Py_ssize_t n, cap;
} Toks;

static int push_tok(Toks *t, int kind, Py_ssize_t a, Py_ssize_t b, Py_ssize_t ka, Py_ssize_t kb)
{
    if (t->n == t->cap) {
        Py_ssize_t cap = t->cap ? t->cap * 2 : 256;
        Tok *v = PyMem_Realloc(t->v, (size_t)cap * sizeof(Tok));
        if (!v) {
            PyErr_NoMemory();
            return -1;
        }
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].kind = kind;
    t->v[t->n].a = a;
    t->v[t->n].b = b;
    t->v[t->n].ka = ka;
    t->v[t->n].kb = kb;
    t->n++;
    return 0;
}

/* _SCAN / _SCAN_PATHS with findall: 0 when the whole stream splits into instructions, 1 when some
 * of it is read differently from qpdf (group 6: refused), -1 on a Python error. */
static int split(uc *s, Py_ssize_t e, int paths, Toks *out)
{
    Py_ssize_t p = 0, q, t, r, k;
    for (;;) {
        while (p < e && IS(s[p], WS0)) p++;
        if (p >= e)
            return 0;
        if (paths) {
            q = p;
            for (;;) {
                r = q;
                while (r < e && IS(s[r], WS1)) r++;
                if ((t = path_op(s, r, e)) < 0)
                    break;
                q = t;
            }
            if (q > p) {
                if (push_tok(out, K_PATH, p, q, 0, 0) < 0)
                    return -1;
                p = q;
                continue;
            }
        }
        q = p;
        while ((t = one(s, q, e, NULL)) >= 0) q = t;
        if ((k = op_token(s, q, e)) >= 0) {
            if (push_tok(out, K_RUN, p, q, q, k) < 0)
                return -1;
            p = k;
            continue;
        }
        q = p;
        for (;;) {
            r = q;
            while (r < e && IS(s[r], WS0)) r++;
            if ((t = item(s, r, e)) < 0)
                break;
            q = t;
        }
        if (q > p) {
            r = q;
            while (r < e && IS(s[r], WS0)) r++;
            if ((k = op_token(s, r, e)) >= 0) {
                if (push_tok(out, K_ITEMS, p, q, r, k) < 0)
                    return -1;
                p = k;
                continue;
            }
        }
        return 1;
    }
}

/* --- pass 2: values ----------------------------------------------------------------------------- */

#define REJECT 1  /* the Python version raises _Reject (or ValueError...): the result is None */

/* _operator: the operator's str from content._OPS, adding it as content.py does. */
static int operator(uc *s, Py_ssize_t a, Py_ssize_t b, PyObject **op)
{
    PyObject *key = PyBytes_FromStringAndSize((const char *)s + a, b - a), *val;
    int special;
    if (!key)
        return -1;
    val = PyDict_GetItemWithError(g_ops, key);
    if (val) {
        Py_DECREF(key);
        *op = val;  /* borrowed: the cache never drops an entry while we run */
        return 0;
    }
    if (PyErr_Occurred() || (special = PySet_Contains(g_special, key)) < 0) {
        Py_DECREF(key);
        return -1;
    }
    if (special || PyDict_GET_SIZE(g_ops) > 1000) {
        Py_DECREF(key);
        return REJECT;
    }
    val = PyUnicode_DecodeASCII((const char *)s + a, b - a, NULL);
    if (!val || PyDict_SetItem(g_ops, key, val) < 0) {
        Py_XDECREF(val);
        Py_DECREF(key);
        return -1;
    }
    Py_DECREF(key);
    Py_DECREF(val);  /* the cache holds it */
    *op = val;
    return 0;
}

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* float(token), except that an integer zero ("-0") is 0.0 as in numbers(). */
static int number_value(uc *s, Py_ssize_t a, Py_ssize_t b, double *out)
{
    Py_ssize_t q = a;
    int neg = 0, dot = 0, digits = 0, frac = 0;
    unsigned long long mant = 0;
    if (s[q] == '+' || s[q] == '-')
        neg = s[q++] == '-';
    for (; q < b; q++) {
        if (s[q] == '.') {
            dot = 1;
            continue;
        }
        if (digits < 19)
            mant = mant * 10 + (unsigned)(s[q] - '0');
        digits++;
        frac += dot;
    }
    if (digits <= 15 && frac <= 22) {
        /* Exact: the mantissa and the power of ten are both doubles, and one division rounds once. */
        double v = (double)mant / POW10[frac];
        *out = neg && (dot || v != 0.0) ? -v : v;
        return 0;
    }
    {
        char small[64], *buf = small, *end;
        double v;
        if (b - a >= (Py_ssize_t)sizeof small && !(buf = PyMem_Malloc((size_t)(b - a) + 1))) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(buf, s + a, (size_t)(b - a));
        buf[b - a] = 0;
        v = PyOS_string_to_double(buf, &end, NULL);
        if (buf != small)
            PyMem_Free(buf);
        if (v == -1.0 && PyErr_Occurred())
            return -1;
        *out = !dot && v == 0.0 ? 0.0 : v;
    }
    return 0;
}

/* numbers(): append the floats of a run of _ONE to ``list``. */
static int append_numbers(PyObject *list, uc *s, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t q = a, t, ne;
    while (q < b && (t = one(s, q, b, &ne)) >= 0) {
        double v;
        PyObject *f;
        if (number_value(s, q, ne, &v) < 0)
            return -1;
        if (!(f = PyFloat_FromDouble(v)) || PyList_Append(list, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
        Py_DECREF(f);
        q = t;
    }
    return 0;
}

static int hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* _hex: the bytes of <...>, refusing an odd number of digits. */
static int hex_string(uc *s, Py_ssize_t a, Py_ssize_t b, PyObject **out)
{
    Py_ssize_t n = 0, q, i = 0;
    char *w;
    int hi = -1;
    for (q = a; q < b; q++)
        n += !IS(s[q], WS0);
    if (n % 2)
        return REJECT;
    if (!(*out = PyBytes_FromStringAndSize(NULL, n / 2)))
        return -1;
    w = PyBytes_AS_STRING(*out);
    for (q = a; q < b; q++) {
        if (IS(s[q], WS0))
            continue;
        if (hi < 0)
            hi = hexval(s[q]);
        else {
            w[i++] = (char)(hi * 16 + hexval(s[q]));
            hi = -1;
        }
    }
    return 0;
}

/* _string / _unescape: the bytes of (...) (its body has no raw CR and every backslash has a
 * character after it). */
static int literal_string(uc *s, Py_ssize_t a, Py_ssize_t b, PyObject **out)
{
    Py_ssize_t q, n = 0;
    char *w;
    if (!memchr(s + a, '\\', (size_t)(b - a))) {
        *out = PyBytes_FromStringAndSize((const char *)s + a, b - a);
        return *out ? 0 : -1;
    }
    if (!(*out = PyBytes_FromStringAndSize(NULL, b - a)))
        return -1;
    w = PyBytes_AS_STRING(*out);
    for (q = a; q < b;) {
        unsigned char c = s[q];
        if (c != '\\') {
            w[n++] = (char)c;
            q++;
            continue;
        }
        c = s[++q];  /* the body's grammar puts a character after every backslash */
        if (c >= '0' && c <= '7') {
            int v = 0, k = 0;
            while (k < 3 && q < b && s[q] >= '0' && s[q] <= '7') {
                v = v * 8 + (s[q++] - '0');
                k++;
            }
            if (v > 255) {
                Py_CLEAR(*out);
                return REJECT;
            }
            w[n++] = (char)v;
            continue;
        }
        q++;
        switch (c) {
        case 'n': w[n++] = '\n'; break;
        case 'r': w[n++] = '\r'; break;
        case 't': w[n++] = '\t'; break;
        case 'b': w[n++] = '\b'; break;
        case 'f': w[n++] = '\f'; break;
        case '\n': break;
        default: w[n++] = (char)c;  /* \( \) \\ and unknown escapes: the character itself */
        }
    }
    if (_PyBytes_Resize(out, n) < 0)
        return -1;
    return 0;
}

static int in_set(PyObject *set, PyObject *op) { return PySet_Contains(set, op); }

static int str_is(PyObject *op, const char *lit)
{
    return PyUnicode_CompareWithASCIIString(op, lit) == 0;
}

/* _valid: every operand is of a kind the walker expects at that place. 1 valid, 0 not, -1 error. */
static int valid(PyObject *op, PyObject *operands, int nested)
{
    Py_ssize_t i, n = PyList_GET_SIZE(operands);
    int r = in_set(g_read, op);
    if (r <= 0)
        return r < 0 ? -1 : 1;
    for (i = 0; i < n; i++) {
        PyObject *v = PyList_GET_ITEM(operands, i);
        PyTypeObject *t = Py_TYPE(v);
        if (t == &PyFloat_Type || t == &PyLong_Type)
            continue;
        if ((PyObject *)t == g_pname) {
            if (i == 0 && (r = in_set(g_name_first, op)) != 0) {
                if (r < 0)
                    return -1;
                continue;
            }
            if ((str_is(op, "scn") || str_is(op, "SCN")) && i == n - 1)
                continue;
            if ((str_is(op, "BDC") || str_is(op, "DP")) && i == 1)
                continue;
            return 0;
        }
        if (t == &PyBytes_Type) {
            if (((str_is(op, "Tj") || str_is(op, "'")) && i == 0) || (str_is(op, "\"") && i == 2))
                continue;
            return 0;
        }
        if (t == &PyList_Type) {
            if (str_is(op, "TJ") && i == 0 && !nested)
                continue;
            return 0;
        }
        if (v == g_pdict) {
            if ((str_is(op, "BDC") || str_is(op, "DP")) && i == 1)
                continue;
            return 0;
        }
        return 0;
    }
    return 1;
}

typedef struct {
    PyObject *list;  /* the enclosing list (a new reference) */
    int is_dict;
} Frame;

static int all_names_at_even(PyObject *list)
{
    Py_ssize_t i, n = PyList_GET_SIZE(list);
    for (i = 0; i < n; i += 2)
        if ((PyObject *)Py_TYPE(PyList_GET_ITEM(list, i)) != g_pname)
            return 0;
    return 1;
}

static int append_steal(PyObject *list, PyObject *v)
{
    int r;
    if (!v)
        return -1;
    r = PyList_Append(list, v);
    Py_DECREF(v);
    return r;
}

/* _operands: the operand list of [a, b), a run of _ITEM. */
static int operands(PyObject *op, uc *s, Py_ssize_t a, Py_ssize_t b, PyObject **out)
{
    PyObject *result = PyList_New(0), *cur, *v;
    Frame *stack = NULL;
    Py_ssize_t depth = 0, cap = 0, q = a, t;
    int plain = 1, nested = 0, rc = -1, r;
    if (!result)
        return -1;
    cur = result;
    Py_INCREF(cur);
    for (;;) {
        while (q < b && IS(s[q], WS0)) q++;
        if (q >= b || (t = item(s, q, b)) < 0)
            break;
        unsigned char c = s[q];
        if ((c >= '0' && c <= '9') || c == '-' || c == '.' || c == '+') {
            if (append_numbers(cur, s, q, t) < 0)
                goto done;
        }
        else if (c == '(') {
            v = NULL;
            if ((r = literal_string(s, q + 1, t - 1, &v)) != 0) {
                rc = r;
                goto done;
            }
            if (append_steal(cur, v) < 0)
                goto done;
            plain = 0;
        }
        else if (c == '/') {
            PyObject *str = PyUnicode_DecodeASCII((const char *)s + q + 1, t - q - 1, NULL);
            if (!str)
                goto done;
            v = PyObject_CallOneArg(g_pname, str);
            Py_DECREF(str);
            if (append_steal(cur, v) < 0)
                goto done;
            plain = 0;
            if (depth)
                nested = 1;
        }
        else if (c == '[' || (c == '<' && t - q == 2 && s[q + 1] == '<')) {
            if (depth)
                nested = 1;
            if (depth == cap) {
                Py_ssize_t ncap = cap ? cap * 2 : 16;
                Frame *ns = PyMem_Realloc(stack, (size_t)ncap * sizeof(Frame));
                if (!ns) {
                    PyErr_NoMemory();
                    goto done;
                }
                stack = ns;
                cap = ncap;
            }
            stack[depth].list = cur;  /* our reference moves to the stack */
            stack[depth].is_dict = c == '<';
            depth++;
            if (!(cur = PyList_New(0))) {
                cur = stack[--depth].list;
                goto done;
            }
            plain = 0;
        }
        else if (c == ']' || c == '>') {
            PyObject *parent;
            if (!depth || stack[depth - 1].is_dict != (c == '>')) {
                rc = REJECT;
                goto done;
            }
            if (c == '>' && (PyList_GET_SIZE(cur) % 2 || !all_names_at_even(cur))) {
                rc = REJECT;
                goto done;
            }
            parent = stack[--depth].list;
            r = PyList_Append(parent, c == ']' ? cur : g_pdict);
            Py_DECREF(cur);
            cur = parent;
            if (r < 0)
                goto done;
        }
        else if (c == '<') {
            v = NULL;
            if ((r = hex_string(s, q + 1, t - 1, &v)) != 0) {
                rc = r;
                goto done;
            }
            if (append_steal(cur, v) < 0)
                goto done;
            plain = 0;
        }
        else {  /* true, false, null: only inside an array or dictionary */
            if (!depth) {
                rc = REJECT;
                goto done;
            }
            v = c == 't' ? Py_True : c == 'f' ? Py_False : Py_None;
            if (PyList_Append(cur, v) < 0)
                goto done;
            nested = 1;
        }
        q = t;
    }
    if (depth) {
        rc = REJECT;
        goto done;
    }
    if (!plain) {
        if ((r = valid(op, result, nested)) <= 0) {
            rc = r < 0 ? -1 : REJECT;
            goto done;
        }
    }
    rc = 0;
done:
    Py_DECREF(cur);
    while (depth)
        Py_DECREF(stack[--depth].list);
    PyMem_Free(stack);
    if (rc == 0)
        *out = result;
    else
        Py_DECREF(result);
    return rc;
}

static PyObject *pair(PyObject *op, PyObject *operands_steal)
{
    PyObject *t;
    if (!operands_steal)
        return NULL;
    t = PyTuple_New(2);
    if (!t) {
        Py_DECREF(operands_steal);
        return NULL;
    }
    Py_INCREF(op);
    PyTuple_SET_ITEM(t, 0, op);
    PyTuple_SET_ITEM(t, 1, operands_steal);
    return t;
}

static int append_pair(PyObject *out, PyObject *op, PyObject *operands_steal)
{
    return append_steal(out, pair(op, operands_steal));
}

/* A path run's points: its text without the operator letters. ``*letters`` counts them. */
static PyObject *path_points(uc *s, Py_ssize_t a, Py_ssize_t b, Py_ssize_t *letters)
{
    Py_ssize_t q, n = 0;
    PyObject *r = PyBytes_FromStringAndSize(NULL, b - a);
    char *w;
    if (!r)
        return NULL;
    w = PyBytes_AS_STRING(r);
    for (q = a; q < b; q++) {
        unsigned char c = s[q];
        if (c == 'm' || c == 'l' || c == 'c' || c == 'v' || c == 'y' || c == 'h')
            continue;
        w[n++] = (char)c;
    }
    *letters = (b - a) - n;
    if (_PyBytes_Resize(&r, n) < 0)
        return NULL;
    return r;
}

static PyObject *slice(uc *s, Py_ssize_t a, Py_ssize_t b)
{
    return PyBytes_FromStringAndSize((const char *)s + a, b - a);
}

static PyObject *g_l;  /* "l": a path run's operator */

/* One path run: ("l", points); ``*merged`` counts its operators beyond the first. */
static int append_path(PyObject *out, uc *s, Tok *k, Py_ssize_t *merged)
{
    Py_ssize_t letters = 0;
    PyObject *pts = path_points(s, k->a, k->b, &letters);
    if (!pts)
        return -1;
    *merged += letters - 1;
    return append_pair(out, g_l, pts);
}

/* _parse, prune=False. */
static int build_plain(uc *s, Toks *toks, PyObject *out, Py_ssize_t *merged)
{
    Py_ssize_t i;
    PyObject *op, *ops;
    int r;
    for (i = 0; i < toks->n; i++) {
        Tok *k = &toks->v[i];
        if (k->kind == K_PATH) {
            if (append_path(out, s, k, merged) < 0)
                return -1;
            continue;
        }
        if ((r = operator(s, k->ka, k->kb, &op)) != 0)
            return r;
        if (k->kind == K_RUN) {
            if (append_pair(out, op, slice(s, k->a, k->b)) < 0)
                return -1;
            continue;
        }
        ops = NULL;
        if ((r = operands(op, s, k->a, k->b, &ops)) != 0)
            return r;
        if (append_pair(out, op, ops) < 0)
            return -1;
    }
    return 0;
}

/* _parse, prune=True: drop each q ... Q that only sets the graphics state; share the operand
 * lists of repeated resource operators. */
static int build_pruned(uc *s, Toks *toks, PyObject *out, Py_ssize_t *merged, Py_ssize_t *dropped)
{
    Py_ssize_t i, impure = -1, n_opens = 0, cap = 0, *opens = NULL;
    PyObject *named = PyDict_New(), *op, *ops, *key, *text;
    int r, rc = -1;
    if (!named)
        return -1;
    for (i = 0; i < toks->n; i++) {
        Tok *k = &toks->v[i];
        if (k->kind == K_PATH) {
            impure = PyList_GET_SIZE(out);
            if (append_path(out, s, k, merged) < 0)
                goto done;
            continue;
        }
        if ((r = operator(s, k->ka, k->kb, &op)) != 0) {
            rc = r;
            goto done;
        }
        if (k->kind == K_RUN) {
            Py_ssize_t len = PyList_GET_SIZE(out);
            int one_char = k->kb - k->ka == 1;
            if (one_char && s[k->ka] == 'Q') {
                if (n_opens) {
                    Py_ssize_t at = opens[--n_opens];
                    if (impure < at) {  /* only state set since its q: gone at this Q */
                        *dropped += len - at + 1;
                        if (PyList_SetSlice(out, at, len, NULL) < 0)
                            goto done;
                        continue;
                    }
                }
                else
                    impure = len;  /* a Q of the state before this stream: the walker decides */
            }
            else if (one_char && s[k->ka] == 'q') {
                if (n_opens == cap) {
                    Py_ssize_t ncap = cap ? cap * 2 : 64, *no;
                    if (!(no = PyMem_Realloc(opens, (size_t)ncap * sizeof(Py_ssize_t)))) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    opens = no;
                    cap = ncap;
                }
                opens[n_opens++] = len;
                if (n_opens > g_max_pruned_depth)  /* the walker's nesting limit must see this q */
                    impure = len;
            }
            else {
                if ((r = in_set(g_state_only, op)) < 0)
                    goto done;
                if (!r)
                    impure = len;
            }
            if (append_pair(out, op, slice(s, k->a, k->b)) < 0)
                goto done;
            continue;
        }
        if ((r = in_set(g_state_only, op)) < 0)
            goto done;
        if (!r)
            impure = PyList_GET_SIZE(out);
        if ((r = in_set(g_text_ops, op)) < 0)
            goto done;
        ops = NULL;
        if (r) {
            if ((r = operands(op, s, k->a, k->b, &ops)) != 0) {
                rc = r;
                goto done;
            }
        }
        else {
            if (!(text = slice(s, k->a, k->b)))
                goto done;
            key = PyTuple_Pack(2, op, text);
            Py_DECREF(text);
            if (!key)
                goto done;
            ops = PyDict_GetItemWithError(named, key);
            if (ops)
                Py_INCREF(ops);
            else if (PyErr_Occurred() || (r = operands(op, s, k->a, k->b, &ops)) != 0
                     || PyDict_SetItem(named, key, ops) < 0) {
                Py_DECREF(key);
                Py_XDECREF(ops);
                rc = PyErr_Occurred() ? -1 : r;
                goto done;
            }
            Py_DECREF(key);
        }
        if (append_pair(out, op, ops) < 0)
            goto done;
    }
    rc = 0;
done:
    PyMem_Free(opens);
    Py_DECREF(named);
    return rc;
}

static int configured(void)
{
    if (!g_ops) {
        PyErr_SetString(PyExc_RuntimeError, "printgate.core.preflight._scan: configure() was not called");
        return 0;
    }
    return 1;
}

/* data.rstrip(_WS) */
static Py_ssize_t stripped_end(uc *s, Py_ssize_t n)
{
    while (n > 0 && IS(s[n - 1], WS0)) n--;
    return n;
}

static PyObject *scan_ops(PyObject *self, PyObject *args)
{
    PyObject *data, *out = NULL, *n_ops;
    int prune = 0, r;
    Toks toks = {NULL, 0, 0};
    Py_ssize_t merged = 0, dropped = 0;
    uc *s;
    if (!PyArg_ParseTuple(args, "O!|p:scan_ops", &PyBytes_Type, &data, &prune) || !configured())
        return NULL;
    s = (uc *)PyBytes_AS_STRING(data);
    r = split(s, stripped_end(s, PyBytes_GET_SIZE(data)), 1, &toks);
    if (r == 0) {
        if (!(out = PyObject_CallNoArgs(g_oplist)))
            r = -1;
        else
            r = prune ? build_pruned(s, &toks, out, &merged, &dropped) : build_plain(s, &toks, out, &merged);
    }
    PyMem_Free(toks.v);
    if (r == 0) {
        n_ops = PyLong_FromSsize_t(PyList_GET_SIZE(out) + merged + dropped);
        if (!n_ops || PyObject_SetAttr(out, g_n_ops, n_ops) < 0)
            r = -1;
        Py_XDECREF(n_ops);
    }
    if (r == 0)
        return out;
    Py_XDECREF(out);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* fast_parse: _parse without path runs, then every run of numbers as floats. */
static PyObject *fast_parse(PyObject *self, PyObject *args)
{
    PyObject *data, *out = NULL, *op, *ops;
    int r;
    Toks toks = {NULL, 0, 0};
    Py_ssize_t i;
    uc *s;
    if (!PyArg_ParseTuple(args, "O!:fast_parse", &PyBytes_Type, &data) || !configured())
        return NULL;
    s = (uc *)PyBytes_AS_STRING(data);
    r = split(s, stripped_end(s, PyBytes_GET_SIZE(data)), 0, &toks);
    if (r == 0 && !(out = PyList_New(0)))
        r = -1;
    for (i = 0; r == 0 && i < toks.n; i++) {
        Tok *k = &toks.v[i];
        if ((r = operator(s, k->ka, k->kb, &op)) != 0)
            break;
        ops = NULL;
        if (k->kind == K_RUN) {
            if (!(ops = PyList_New(0)) || append_numbers(ops, s, k->a, k->b) < 0)
                r = -1;
        }
        else
            r = operands(op, s, k->a, k->b, &ops);
        if (r != 0) {
            Py_XDECREF(ops);
            break;
        }
        if (append_pair(out, op, ops) < 0)
            r = -1;
    }
    PyMem_Free(toks.v);
    if (r == 0)
        return out;
    Py_XDECREF(out);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *configure(PyObject *self, PyObject *args)
{
    PyObject *ops, *special, *read, *name_first, *text_ops, *state_only, *pname, *pdict, *oplist;
    Py_ssize_t depth;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!OO!n:configure", &PyDict_Type, &ops, &PyFrozenSet_Type,
                          &special, &PyFrozenSet_Type, &read, &PyFrozenSet_Type, &name_first,
                          &PyFrozenSet_Type, &text_ops, &PyFrozenSet_Type, &state_only, &PyType_Type,
                          &pname, &pdict, &PyType_Type, &oplist, &depth))
        return NULL;
    Py_INCREF(ops); Py_XSETREF(g_ops, ops);
    Py_INCREF(special); Py_XSETREF(g_special, special);
    Py_INCREF(read); Py_XSETREF(g_read, read);
    Py_INCREF(name_first); Py_XSETREF(g_name_first, name_first);
    Py_INCREF(text_ops); Py_XSETREF(g_text_ops, text_ops);
    Py_INCREF(state_only); Py_XSETREF(g_state_only, state_only);
    Py_INCREF(pname); Py_XSETREF(g_pname, pname);
    Py_INCREF(pdict); Py_XSETREF(g_pdict, pdict);
    Py_INCREF(oplist); Py_XSETREF(g_oplist, oplist);
    g_max_pruned_depth = depth;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"scan_ops", scan_ops, METH_VARARGS, "content.scan_ops(data, prune), compiled."},
    {"fast_parse", fast_parse, METH_VARARGS, "content.fast_parse(data), compiled."},
    {"configure", configure, METH_VARARGS,
     "configure(ops, special, read, name_first, text_ops, state_only, PName, PDICT, OpList, "
     "max_pruned_depth): content.py's tables."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "content.py's tokenizer, compiled (same values, same refusals).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    init_classes();
    if (!g_l && !(g_l = PyUnicode_InternFromString("l")))
        return NULL;
    if (!g_n_ops && !(g_n_ops = PyUnicode_InternFromString("n_ops")))
        return NULL;
    return PyModule_Create(&module);
}
