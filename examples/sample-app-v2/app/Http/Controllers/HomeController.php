<?php

namespace App\Http\Controllers;

class HomeController extends Controller
{
    public function index()
    {
        return view('welcome', [
            'version' => config('app.version'),
            'year' => date('Y'),
        ]);
    }
}
