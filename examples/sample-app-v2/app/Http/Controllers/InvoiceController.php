<?php

namespace App\Http\Controllers;

class InvoiceController extends Controller
{
    public function show(int $id)
    {
        $html = file_get_contents(public_path('templates/invoice.html'));
        return str_replace('{{number}}', (string) $id, $html);
    }
}
