<?php

class PrintgateOpencartDb implements PrintgateDb
{
    private $db;

    public function __construct($db)
    {
        $this->db = $db;
    }

    public function rows($sql)
    {
        $result = $this->db->query($sql);

        return is_object($result) && isset($result->rows) ? $result->rows : array();
    }

    public function run($sql)
    {
        $this->db->query($sql);
    }

    public function affected()
    {
        return (int) $this->db->countAffected();
    }

    public function lastId()
    {
        return (int) $this->db->getLastId();
    }

    public function esc($value)
    {
        return $this->db->escape((string) $value);
    }
}
