<?php
/**
 * A small in-memory stand-in for MySQL, enough for the statements the store modules issue:
 * CREATE/DROP TABLE, INSERT [IGNORE] / REPLACE ... SET, UPDATE ... SET ... WHERE, DELETE, and
 * SELECT with one LEFT JOIN, AND-ed comparisons / IN, ORDER BY and LIMIT. Keys (PRIMARY, UNIQUE)
 * and AUTO_INCREMENT are enforced; affected rows follow MySQL (changed rows only). Anything else
 * throws, so a statement the emulator does not understand fails the test instead of passing.
 */

class FakeMysql
{
    /** @var array<string,array> */
    public $tables = array();
    public $log = array();
    private $affected = 0;
    private $lastId = 0;
    private $tokens;
    private $pos;

    public function query($sql)
    {
        $this->log[] = $sql;
        $this->tokenize($sql);
        $word = strtoupper($this->peek());
        if ($word === 'SELECT') {
            $rows = $this->select();
            $this->end();

            return (object) array('rows' => $rows, 'row' => $rows ? $rows[0] : array(), 'num_rows' => count($rows));
        }
        if ($word === 'SHOW') {
            // SHOW COLUMNS FROM `t` LIKE 'name': the schema probe the bridge uses.
            $this->expect('SHOW', 'COLUMNS', 'FROM');
            $name = $this->ident();
            $this->expect('LIKE');
            $column = (string) $this->value();
            $this->end();
            if (!isset($this->tables[$name])) {
                throw new RuntimeException("FakeMysql: no table $name");
            }
            $rows = array_key_exists($column, $this->tables[$name]['columns']) ? array(array('Field' => $column)) : array();

            return (object) array('rows' => $rows, 'row' => $rows ? $rows[0] : array(), 'num_rows' => count($rows));
        }
        if ($word === 'CREATE') {
            $this->create();
        } elseif ($word === 'DROP') {
            $this->expect('DROP', 'TABLE', 'IF', 'EXISTS');
            unset($this->tables[$this->ident()]);
        } elseif ($word === 'INSERT' || $word === 'REPLACE') {
            $this->insert();
        } elseif ($word === 'UPDATE') {
            $this->update();
        } elseif ($word === 'DELETE') {
            $this->delete();
        } else {
            throw new RuntimeException('unsupported statement: ' . $sql);
        }
        if (!in_array($word, array('CREATE', 'DROP'), true)) {
            $this->end();
        }

        return true;
    }

    public function escape($value)
    {
        return strtr((string) $value, array('\\' => '\\\\', "'" => "\\'", '"' => '\\"', "\n" => '\\n', "\r" => '\\r', "\0" => '\\0', "\x1a" => '\\Z'));
    }

    public function countAffected()
    {
        return $this->affected;
    }

    public function getLastId()
    {
        return $this->lastId;
    }

    // ---- tokens ------------------------------------------------------------------------------

    private function tokenize($sql)
    {
        $pattern = "/\\s*(`[^`]*`|'(?:[^'\\\\]|\\\\.)*'|\\d+(?:\\.\\d+)?|<>|<=|>=|!=|[=<>(),*.;]|[A-Za-z_][A-Za-z0-9_]*)/s";
        preg_match_all($pattern, $sql, $m);
        if (preg_replace('/\s+/', '', implode('', $m[1])) !== preg_replace('/\s+/', '', $sql)) {
            throw new RuntimeException('cannot tokenize: ' . $sql);
        }
        $this->tokens = $m[1];
        $this->pos = 0;
    }

    private function peek($offset = 0)
    {
        return isset($this->tokens[$this->pos + $offset]) ? $this->tokens[$this->pos + $offset] : '';
    }

    private function next()
    {
        return $this->tokens[$this->pos++];
    }

    private function accept($word)
    {
        if (strcasecmp($this->peek(), $word) === 0) {
            $this->pos++;

            return true;
        }

        return false;
    }

    private function expect()
    {
        foreach (func_get_args() as $word) {
            if (!$this->accept($word)) {
                throw new RuntimeException("expected $word at '" . $this->peek() . "' in " . implode(' ', $this->tokens));
            }
        }
    }

    private function end()
    {
        $this->accept(';');
        if ($this->pos < count($this->tokens)) {
            throw new RuntimeException("unexpected '" . $this->peek() . "' in " . implode(' ', $this->tokens));
        }
    }

    private function ident()
    {
        $token = $this->next();

        return trim($token, '`');
    }

    /** A column reference: `col` or alias.`col`. @return array{0:string|null,1:string} */
    private function columnRef()
    {
        $first = $this->ident();
        if ($this->accept('.')) {
            return array($first, $this->ident());
        }

        return array(null, $first);
    }

    private function value()
    {
        $token = $this->next();
        if ($token[0] === "'") {
            return stripcslashes(substr($token, 1, -1));
        }
        if (is_numeric($token)) {
            return $token;
        }
        if (strcasecmp($token, 'NOW') === 0) {
            $this->expect('(', ')');

            return date('Y-m-d H:i:s');
        }
        if (strcasecmp($token, 'NULL') === 0) {
            return null;
        }
        throw new RuntimeException("unsupported value $token");
    }

    // ---- statements ----------------------------------------------------------------------------

    private function create()
    {
        $this->expect('CREATE', 'TABLE', 'IF', 'NOT', 'EXISTS');
        $name = $this->ident();
        $this->expect('(');
        $table = array('columns' => array(), 'keys' => array(), 'auto' => null, 'rows' => array(), 'next' => 1);
        while (true) {
            $word = strtoupper($this->peek());
            if ($word === 'PRIMARY' || $word === 'UNIQUE') {
                $this->next();
                $this->expect('KEY');
                if ($this->peek() !== '(') {
                    $this->ident();
                }
                $table['keys'][] = $this->identList();
            } elseif ($word === 'KEY') {
                $this->next();
                $this->ident();
                $this->identList();
            } else {
                $column = $this->ident();
                $default = null;
                $depth = 0;
                while (!($depth === 0 && ($this->peek() === ',' || $this->peek() === ')'))) {
                    $token = $this->next();
                    $depth += $token === '(' ? 1 : ($token === ')' ? -1 : 0);
                    if (strcasecmp($token, 'AUTO_INCREMENT') === 0) {
                        $table['auto'] = $column;
                    }
                    if (strcasecmp($token, 'DEFAULT') === 0) {
                        $default = $this->value();
                    }
                }
                $table['columns'][$column] = $default;
            }
            if ($this->accept(')')) {
                break;
            }
            $this->expect(',');
        }
        if (!isset($this->tables[$name])) {
            $this->tables[$name] = $table;
        }
    }

    private function identList()
    {
        $this->expect('(');
        $names = array($this->ident());
        while ($this->accept(',')) {
            $names[] = $this->ident();
        }
        $this->expect(')');

        return $names;
    }

    private function assignments()
    {
        $values = array();
        do {
            $column = $this->ident();
            $this->expect('=');
            $values[$column] = $this->value();
        } while ($this->accept(','));

        return $values;
    }

    private function &table($name)
    {
        if (!isset($this->tables[$name])) {
            throw new RuntimeException("no table $name");
        }

        return $this->tables[$name];
    }

    private function insert()
    {
        $replace = strcasecmp($this->next(), 'REPLACE') === 0;
        $ignore = $this->accept('IGNORE');
        $this->expect('INTO');
        $name = $this->ident();
        $this->expect('SET');
        $values = $this->assignments();
        $table = &$this->table($name);
        foreach (array_keys($values) as $column) {
            if (!array_key_exists($column, $table['columns'])) {
                throw new RuntimeException("unknown column $name.$column");
            }
        }
        $row = array();
        foreach ($table['columns'] as $column => $default) {
            $row[$column] = array_key_exists($column, $values) ? $values[$column] : $default;
        }
        if ($table['auto'] !== null && empty($row[$table['auto']])) {
            $row[$table['auto']] = (string) $table['next'];
        }
        if ($table['auto'] !== null) {
            $table['next'] = max($table['next'], (int) $row[$table['auto']] + 1);
        }
        $this->affected = 0;
        foreach ($table['rows'] as $index => $existing) {
            foreach ($table['keys'] as $key) {
                $same = true;
                foreach ($key as $column) {
                    $same = $same && (string) $existing[$column] === (string) $row[$column];
                }
                if ($same) {
                    if ($ignore) {
                        return;
                    }
                    if (!$replace) {
                        throw new RuntimeException("duplicate key in $name");
                    }
                    unset($table['rows'][$index]);
                    $this->affected++;
                    break;
                }
            }
        }
        $table['rows'][] = array_map(function ($v) {
            return $v === null ? null : (string) $v;
        }, $row);
        $table['rows'] = array_values($table['rows']);
        $this->affected++;
        $this->lastId = $table['auto'] !== null ? (int) $row[$table['auto']] : 0;
    }

    private function update()
    {
        $this->expect('UPDATE');
        $name = $this->ident();
        $this->expect('SET');
        $values = $this->assignments();
        $where = $this->where();
        $table = &$this->table($name);
        $this->affected = 0;
        foreach ($table['rows'] as $index => $row) {
            if (!$this->matches(array($name => $row), $name, $where)) {
                continue;
            }
            $changed = false;
            foreach ($values as $column => $value) {
                if (!array_key_exists($column, $row)) {
                    throw new RuntimeException("unknown column $name.$column");
                }
                $value = $value === null ? null : (string) $value;
                $changed = $changed || $row[$column] !== $value;
                $table['rows'][$index][$column] = $value;
            }
            $this->affected += $changed ? 1 : 0;
        }
    }

    private function delete()
    {
        $this->expect('DELETE', 'FROM');
        $name = $this->ident();
        $where = $this->where();
        $table = &$this->table($name);
        $before = count($table['rows']);
        $self = $this;
        $table['rows'] = array_values(array_filter($table['rows'], function ($row) use ($self, $name, $where) {
            return !$self->matches(array($name => $row), $name, $where);
        }));
        $this->affected = $before - count($table['rows']);
    }

    private function select()
    {
        $this->expect('SELECT');
        $fields = array();
        do {
            if ($this->accept('*')) {
                $fields[] = array(null, '*');
                continue;
            }
            if (strcasecmp($this->peek(), 'COUNT') === 0 && $this->peek(1) === '(') {
                $this->expect('COUNT', '(', '*', ')', 'AS');
                $fields[] = array('#count', $this->ident());
                continue;
            }
            $fields[] = $this->columnRef();
        } while ($this->accept(','));
        $this->expect('FROM');
        $name = $this->ident();
        $alias = $name;
        if (!in_array(strtoupper($this->peek()), array('', 'WHERE', 'LEFT', 'ORDER', 'LIMIT'), true)) {
            $alias = $this->ident();
        }
        $contexts = array();
        foreach ($this->table($name)['rows'] as $row) {
            $contexts[] = array($alias => $row);
        }
        if ($this->accept('LEFT')) {
            $this->expect('JOIN');
            $joinName = $this->ident();
            $joinAlias = $this->ident();
            $this->expect('ON', '(');
            $left = $this->columnRef();
            $this->expect('=');
            $right = $this->columnRef();
            $this->expect(')');
            $joinRows = $this->table($joinName)['rows'];
            $empty = array_fill_keys(array_keys($this->table($joinName)['columns']), null);
            foreach ($contexts as $i => $ctx) {
                $contexts[$i][$joinAlias] = $empty;
                foreach ($joinRows as $joinRow) {
                    $probe = $ctx + array($joinAlias => $joinRow);
                    if ((string) $this->resolve($probe, $alias, $left) === (string) $this->resolve($probe, $alias, $right)) {
                        $contexts[$i][$joinAlias] = $joinRow;
                        break;
                    }
                }
            }
        }
        $where = $this->where();
        $self = $this;
        $contexts = array_values(array_filter($contexts, function ($ctx) use ($self, $alias, $where) {
            return $self->matches($ctx, $alias, $where);
        }));
        if ($this->accept('ORDER')) {
            $this->expect('BY');
            $order = array();
            do {
                $ref = $this->columnRef();
                $desc = $this->accept('DESC');
                $this->accept('ASC');
                $order[] = array($ref, $desc);
            } while ($this->accept(','));
            usort($contexts, function ($a, $b) use ($self, $alias, $order) {
                foreach ($order as $item) {
                    $cmp = $self->compare($self->resolve($a, $alias, $item[0]), $self->resolve($b, $alias, $item[0]));
                    if ($cmp !== 0) {
                        return $item[1] ? -$cmp : $cmp;
                    }
                }

                return 0;
            });
        }
        if ($this->accept('LIMIT')) {
            $contexts = array_slice($contexts, 0, (int) $this->next());
        }
        if ($fields && $fields[0][0] === '#count') {
            return array(array($fields[0][1] => (string) count($contexts)));
        }
        $rows = array();
        foreach ($contexts as $ctx) {
            $out = array();
            foreach ($fields as $field) {
                if ($field[1] === '*') {
                    $out += $ctx[$field[0] === null ? $alias : $field[0]];
                } else {
                    $out[$field[1]] = $this->resolve($ctx, $alias, $field);
                }
            }
            $rows[] = $out;
        }

        return $rows;
    }

    /** @return array<int,array> conditions joined by AND */
    private function where()
    {
        $conditions = array();
        if (!$this->accept('WHERE')) {
            return $conditions;
        }
        do {
            $ref = $this->columnRef();
            if ($this->accept('IN')) {
                $this->expect('(');
                $list = array($this->value());
                while ($this->accept(',')) {
                    $list[] = $this->value();
                }
                $this->expect(')');
                $conditions[] = array($ref, 'IN', $list);
            } else {
                $op = $this->next();
                $conditions[] = array($ref, $op, $this->value());
            }
        } while ($this->accept('AND'));

        return $conditions;
    }

    public function resolve(array $ctx, $alias, array $ref)
    {
        $row = $ctx[$ref[0] === null ? $alias : $ref[0]];
        if (!array_key_exists($ref[1], $row)) {
            throw new RuntimeException('unknown column ' . $ref[1]);
        }

        return $row[$ref[1]];
    }

    public function compare($a, $b)
    {
        if (is_numeric($a) && is_numeric($b)) {
            return $a + 0 <=> $b + 0;
        }

        return strcmp((string) $a, (string) $b);
    }

    public function matches(array $ctx, $alias, array $conditions)
    {
        foreach ($conditions as $condition) {
            $value = $this->resolve($ctx, $alias, $condition[0]);
            if ($condition[1] === 'IN') {
                $found = false;
                foreach ($condition[2] as $candidate) {
                    $found = $found || $this->compare($value, $candidate) === 0;
                }
                if (!$found) {
                    return false;
                }
                continue;
            }
            $cmp = $this->compare($value, $condition[2]);
            $ok = array('=' => $cmp === 0, '<>' => $cmp !== 0, '!=' => $cmp !== 0, '<' => $cmp < 0, '<=' => $cmp <= 0, '>' => $cmp > 0, '>=' => $cmp >= 0);
            if (!isset($ok[$condition[1]])) {
                throw new RuntimeException('unsupported operator ' . $condition[1]);
            }
            if (!$ok[$condition[1]]) {
                return false;
            }
        }

        return true;
    }
}
