<?php

namespace App\Http\Controllers;

class ReportController extends Controller
{
    public function monthly(string $month)
    {
        return response()->json(['month' => $month, 'invoices' => 0, 'total' => 0]);
    }
}
