<?php

if (!defined('_PS_VERSION_')) {
    exit;
}

class PrintgatePrestashopDb implements PrintgateDb
{
    public function rows($sql)
    {
        $rows = Db::getInstance()->executeS($sql, true, false);

        return is_array($rows) ? $rows : array();
    }

    public function run($sql)
    {
        Db::getInstance()->execute($sql, false);
    }

    public function affected()
    {
        return (int) Db::getInstance()->Affected_Rows();
    }

    public function lastId()
    {
        return (int) Db::getInstance()->Insert_ID();
    }

    public function esc($value)
    {
        return Db::getInstance()->escape((string) $value, true);
    }
}
